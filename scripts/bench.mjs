#!/usr/bin/env node
/**
 * `npm run bench`: socket.io-cluster next to plain Socket.IO and @socket.io/redis-adapter.
 *
 *  1. finds `redis-server` (installs the Debian package when missing and running as root, as
 *     `npm test` does) and starts a private, throw-away one on a free port,
 *  2. builds the package (`tsup`) when dist/ is missing (`--build` rebuilds it anyway),
 *  3. runs bench/main.ts (`node --import tsx`) with SOCKET_IO_CLUSTER_BENCH_REDIS_URL pointing at it
 *     and SOCKET_IO_CLUSTER_BENCH_REDIS_PID (the bench reads redis-server's CPU time from /proc), with
 *     the open-files limit raised as far as allowed (every child inherits it: the idle-connection
 *     workloads hold thousands of sockets per process),
 *  4. stops redis-server (also on Ctrl-C) and exits with the bench's code.
 *
 * Arguments go to bench/main.ts: `npm run bench -- --quick`, `npm run bench -- --targets socket.io,split-1+1`,
 * `npm run bench -- --help`. One is this script's own: `--build`. `--cpu-prof` is the bench's: it
 * profiles every server process (bench/results/profiles/<target>-<role>-<i>/, summed up by
 * bench/profile.ts); profile with `--from-src` to see src/ file names.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { constants } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { ensureRedisServer, PrivateRedis } from "./private-redis.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const log = (msg) => console.error(`[bench] ${msg}`);
const fail = (msg, code = 1) => {
  console.error(`[bench] ${msg}`);
  process.exit(code);
};

const redisServer = new PrivateRedis({ log, fail, dirPrefix: "sioc-bench-redis-" });
let child;
let stopping = false;
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    if (child && child.exitCode === null) child.kill(signal);
    await redisServer.stop();
    process.exit(130);
  });
}
process.on("exit", () => redisServer.killNow());

const requireFromRoot = createRequire(join(root, "package.json"));
function binOf(pkg, name = pkg) {
  const manifest = requireFromRoot(`${pkg}/package.json`);
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin[name];
  return join(dirname(requireFromRoot.resolve(`${pkg}/package.json`)), bin);
}

/** The newest modification time under a directory. */
function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

async function main() {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  const forceBuild = args.includes("--build");
  const benchArgs = args.filter((a) => a !== "--build");
  const fromSrc = benchArgs.includes("--from-src") || process.env.BENCH_FROM_SRC === "1";
  if (benchArgs.includes("--help") || benchArgs.includes("-h")) {
    const help = spawnSync(process.execPath, ["--import", "tsx", join(root, "bench", "main.ts"), "--help"], { cwd: root, stdio: "inherit" });
    console.log("scripts/bench.mjs adds: --build (rebuild dist/ first).");
    process.exit(help.status ?? 1);
  }

  const dist = join(root, "dist", "index.js");
  if (!fromSrc && (forceBuild || !existsSync(dist))) {
    log(forceBuild ? "building (tsup)…" : "dist/ is missing: building (tsup)…");
    const build = spawnSync(process.execPath, [binOf("tsup")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
    if (build.status !== 0) fail(`build failed (exit ${build.status ?? build.signal})`);
  } else if (!fromSrc && newest(join(root, "src")) > statSync(dist).mtimeMs) {
    log("note: src/ changed since dist/ was built; the figures are dist's (add --build to rebuild first)");
  }

  const bin = ensureRedisServer({ log, fail, caller: "scripts/bench.mjs", purpose: "The bench needs" });
  const port = await redisServer.start(bin);
  const url = `redis://127.0.0.1:${port}`;
  log(`redis-server ${bin} on ${url}`);

  const env = { ...process.env, SOCKET_IO_CLUSTER_BENCH_REDIS_URL: url, SOCKET_IO_CLUSTER_BENCH_REDIS_PID: String(redisServer.child?.pid ?? "") };
  // every target chooses its own Redis and prefix: an ambient cluster configuration must not leak in
  for (const name of ["SOCKET_IO_CLUSTER_REDIS_URL", "SOCKET_IO_CLUSTER_PREFIX", "SOCKET_IO_CLUSTER_LOCAL_FAST_PATH"]) {
    delete env[name];
  }
  // node cannot raise its own limits: a shell raises the soft open-files limit (to 65536, or to the
  // hard limit when that is lower) and execs the bench in its place, so children inherit it
  const raise = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  child = spawn("sh", ["-c", raise, process.execPath, "--import", "tsx", join(root, "bench", "main.ts"), ...benchArgs], {
    cwd: root,
    stdio: "inherit",
    env,
  });
  const code = await new Promise((resolve) =>
    child.on("exit", (c, signal) => resolve(c ?? 128 + (constants.signals[signal] ?? 0))),
  );
  await redisServer.stop();
  process.exit(stopping ? 130 : code);
}

main().catch(async (err) => {
  console.error(err);
  await redisServer.stop();
  process.exit(1);
});
