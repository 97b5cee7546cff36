#!/usr/bin/env node
/**
 * `npm test`: everything the test suite needs, from a fresh machine.
 *
 *  1. finds `redis-server` (installs the Debian package `redis-server` when missing and running as
 *     root; otherwise stops with a message naming the package),
 *  2. starts a private, throw-away redis-server on a free port (no persistence),
 *  3. builds the package (`tsup`: some tests run dist/),
 *  4. runs mocha with SOCKET_IO_CLUSTER_TEST_REDIS_URL pointing at that redis-server,
 *  5. with no arguments, runs the compatibility suite (compat/main.ts) against plain socket.io too,
 *  6. stops redis-server (also on Ctrl-C) and exits non-zero if anything failed.
 *
 * Arguments go to mocha (and then skip step 5): `npm test -- --grep fetchSockets`,
 * `npm test -- test/codec.test.ts`. `node scripts/test.mjs --compat [--group G]` runs only the
 * compatibility suite (`npm run compat`).
 * Environment: SOCKET_IO_CLUSTER_QUIET (default "1": cluster warnings stay out of the output),
 * SOCKET_IO_CLUSTER_TEST_SKIP_BUILD=1 skips step 3 when dist/ is known to be fresh,
 * SOCKET_IO_CLUSTER_TEST_SKIP_COMPAT=1 skips step 5.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { constants, tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (msg) => console.log(`[test] ${msg}`);
const fail = (msg, code = 1) => {
  console.error(`[test] ${msg}`);
  process.exit(code);
};

function findExecutable(name) {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"]);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

function ensureRedisServer() {
  let bin = process.env.REDIS_SERVER_BIN || findExecutable("redis-server");
  if (bin) return bin;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot) {
    fail(
      "redis-server was not found on PATH. The tests need a real Redis server: install the Debian/Ubuntu package " +
        '"redis-server" (sudo apt-get install -y redis-server), or set REDIS_SERVER_BIN to its path.',
    );
  }
  if (!findExecutable("apt-get")) {
    fail('redis-server was not found and apt-get is not available: install the package "redis-server" by hand.');
  }
  log('redis-server not found: installing the Debian package "redis-server" with apt-get (running as root)…');
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  // the package's post-install script would start a system redis-server on port 6379: the tests
  // use a private one, so forbid service starts during the install (the Debian policy-rc.d way)
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) {
    try {
      writeFileSync(policy, "#!/bin/sh\n# written by socket.io-cluster's scripts/test.mjs during apt-get install\nexit 101\n", { mode: 0o755 });
    } catch {
      // not fatal: at worst the package starts its service
    }
  }
  let failure;
  for (const args of [["update"], ["install", "-y", "--no-install-recommends", "redis-server"]]) {
    const r = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (r.status !== 0) {
      failure = `"apt-get ${args.join(" ")}" failed (exit ${r.status ?? r.signal ?? r.error}); cannot install redis-server.`;
      break;
    }
  }
  if (ownPolicy) rmSync(policy, { force: true });
  if (failure) fail(failure);
  bin = findExecutable("redis-server");
  if (!bin) fail('the package "redis-server" was installed but no redis-server binary is on PATH.');
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Sends PING with the inline protocol; resolves true on +PONG. */
function ping(port) {
  return new Promise((resolve) => {
    const sock = connect({ port, host: "127.0.0.1" });
    let buf = "";
    const done = (ok) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on("error", () => done(false));
    sock.on("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
  });
}

let redis;
let redisDir;
let redisExited = Promise.resolve();

async function startRedis(bin) {
  for (let attempt = 1; attempt <= 5; attempt++) {
    const port = await freePort();
    redisDir = mkdtempSync(join(tmpdir(), "sioc-test-redis-"));
    const child = spawn(
      bin,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", redisDir, "--loglevel", "warning"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    let exited = false;
    redisExited = new Promise((r) => child.once("exit", () => ((exited = true), r())));
    child.on("error", (err) => {
      output += String(err);
      exited = true;
    });
    redis = child;
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) {
      if (await ping(port)) {
        child.stdout.resume();
        child.stderr.resume();
        return port;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await stopRedis();
    log(`redis-server on port ${port} did not start (attempt ${attempt}):\n${output.trim()}`);
  }
  fail("could not start redis-server.");
}

async function stopRedis() {
  const child = redis;
  redis = undefined;
  if (child && child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    const killTimer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    await redisExited;
    clearTimeout(killTimer);
  }
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  redisDir = undefined;
}

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    if (child && child.exitCode === null) child.kill(signal);
    await stopRedis();
    process.exit(130);
  });
}
process.on("exit", () => {
  // last resort (an exception above): never leave the server behind
  if (redis && redis.exitCode === null) redis.kill("SIGKILL");
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
});

const requireFromRoot = createRequire(join(root, "package.json"));
/** The path of a dev dependency's bin script, run with this node (no npx: signals reach it). */
function binOf(pkg, name = pkg) {
  const manifest = requireFromRoot(`${pkg}/package.json`);
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin[name];
  return join(dirname(requireFromRoot.resolve(`${pkg}/package.json`)), bin);
}

async function main() {
  const bin = ensureRedisServer();
  const port = await startRedis(bin);
  const url = `redis://127.0.0.1:${port}`;
  log(`redis-server ${bin} on ${url}`);

  if (process.env.SOCKET_IO_CLUSTER_TEST_SKIP_BUILD !== "1") {
    log("building (tsup)…");
    const build = spawnSync(process.execPath, [binOf("tsup")], { cwd: root, stdio: "inherit" });
    if (build.status !== 0) {
      await stopRedis();
      fail(`build failed (exit ${build.status ?? build.signal})`);
    }
  }

  const env = {
    ...process.env,
    SOCKET_IO_CLUSTER_TEST_REDIS_URL: url,
    SOCKET_IO_CLUSTER_QUIET: process.env.SOCKET_IO_CLUSTER_QUIET ?? "1",
  };
  // the tests choose Redis per server; an ambient cluster configuration must not leak into them
  for (const name of ["SOCKET_IO_CLUSTER_REDIS_URL", "SOCKET_IO_CLUSTER_PREFIX", "SOCKET_IO_CLUSTER_LOCAL_FAST_PATH"]) {
    delete env[name];
  }
  // `--compat` alone: only the compatibility suite (npm run compat); its arguments follow it
  const args = process.argv.slice(2);
  const compatOnly = args[0] === "--compat";
  let code = 0;
  if (!compatOnly) {
    // mocha adds a configured spec to the files named on the command line, so the default spec lives
    // here: `npm test -- test/codec.test.ts` runs that file only
    const namesFiles = args.some((a) => !a.startsWith("-") && (/[*?]/.test(a) || existsSync(join(root, a)) || existsSync(a)));
    if (!namesFiles) args.push("test/**/*.test.ts");
    code = await run([binOf("mocha"), ...args], env);
  }
  // the whole suite also runs the compatibility suite; a subset of tests does not
  const wholeSuite = compatOnly || process.argv.length === 2;
  if (wholeSuite && !stopping && process.env.SOCKET_IO_CLUSTER_TEST_SKIP_COMPAT !== "1") {
    log("compatibility suite (compat/) against plain socket.io…");
    const compatArgs = compatOnly ? args.slice(1) : [];
    const compat = await run(["--import", "tsx", join(root, "compat", "main.ts"), ...compatArgs], env);
    code = code || compat;
  }
  await stopRedis();
  process.exit(stopping ? 130 : code);
}

let child;
/** Runs node with `args` in the repository, resolving with its exit code. */
function run(args, env) {
  child = spawn(process.execPath, args, { cwd: root, stdio: "inherit", env });
  return new Promise((resolve) => child.on("exit", (c, signal) => resolve(c ?? 128 + (constants.signals[signal] ?? 0))));
}

main().catch(async (err) => {
  console.error(err);
  await stopRedis();
  process.exit(1);
});
