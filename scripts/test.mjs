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
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { ensureOpenssl, ensureRedisServer, PrivateRedis } from "./private-redis.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (msg) => console.log(`[test] ${msg}`);
const fail = (msg, code = 1) => {
  console.error(`[test] ${msg}`);
  process.exit(code);
};

const redisServer = new PrivateRedis({ log, fail, dirPrefix: "sioc-test-redis-" });
const startRedis = (bin) => redisServer.start(bin);
const stopRedis = () => redisServer.stop();

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
  redisServer.killNow();
});

const requireFromRoot = createRequire(join(root, "package.json"));
/** The path of a dev dependency's bin script, run with this node (no npx: signals reach it). */
function binOf(pkg, name = pkg) {
  const manifest = requireFromRoot(`${pkg}/package.json`);
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin[name];
  return join(dirname(requireFromRoot.resolve(`${pkg}/package.json`)), bin);
}

async function main() {
  const bin = ensureRedisServer({ log, fail, caller: "scripts/test.mjs" });
  ensureOpenssl({ log, fail, caller: "scripts/test.mjs" });
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
    code = await run([binOf("mocha"), ...args], env, { keepOutput: true });
  }
  // the whole suite also runs the compatibility suite; a subset of tests does not
  const wholeSuite = compatOnly || process.argv.length === 2;
  if (wholeSuite && !stopping && process.env.SOCKET_IO_CLUSTER_TEST_SKIP_COMPAT !== "1") {
    log("compatibility suite (compat/) against plain socket.io…");
    const compatArgs = compatOnly ? args.slice(1) : [];
    const compat = await run(["--import", "tsx", join(root, "compat", "main.ts"), ...compatArgs], env);
    code = code || compat;
    // CI shows the tail of the output: repeat mocha's failures there, after the compatibility report
    if (mochaFailures) console.log(`\n[test] mocha failures (repeated from above):\n${mochaFailures}`);
  }
  await stopRedis();
  process.exit(stopping ? 130 : code);
}

let child;
/** mocha's report from its "N failing" line on, when some test failed. */
let mochaFailures = "";
/**
 * Runs node with `args` in the repository, resolving with its exit code. With `keepOutput`, stdout
 * is passed through and kept, so that the failures part of the report can be shown again.
 */
function run(args, env, { keepOutput = false } = {}) {
  child = spawn(process.execPath, args, { cwd: root, stdio: ["inherit", keepOutput ? "pipe" : "inherit", "inherit"], env });
  const chunks = [];
  if (keepOutput) {
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      chunks.push(chunk);
    });
  }
  return new Promise((resolve) =>
    child.on("close", (c, signal) => {
      if (keepOutput) {
        const text = Buffer.concat(chunks).toString("utf8");
        const at = text.search(/^\s*\d+ failing/m);
        if (at >= 0) mochaFailures = text.slice(at).trim();
      }
      resolve(c ?? 128 + (constants.signals[signal] ?? 0));
    }),
  );
}

main().catch(async (err) => {
  console.error(err);
  await stopRedis();
  process.exit(1);
});
