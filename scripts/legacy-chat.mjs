#!/usr/bin/env node
/**
 * `npm run legacy-chat`: the original 2011 chat example (examples/legacy-chat) as a real cluster,
 * in one command: a private redis-server, a frontend (frontendServer.js), 2 io-nodes (ioNode.js)
 * and the app-node (appNode.js), each a process of its own, with prefixed output. It prints the
 * URL to open once every node has joined, and Ctrl-C (or SIGTERM) stops everything.
 *
 * Options (after `--` with npm): --port P (frontend, default 8080 or a free port), --redis URL
 * (an existing Redis instead of a private redis-server; also $REDIS_URL), --prefix P.
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { tsImport } from "tsx/esm/api";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const example = join(root, "examples", "legacy-chat");
const say = (msg) => console.log(`[legacy-chat] ${msg}`);
const fail = (msg) => {
  console.error(`[legacy-chat] ${msg}`);
  process.exit(1);
};

const HELP = `Usage: npm run legacy-chat [-- options]

Runs the original chat example (examples/legacy-chat) as a cluster: a private redis-server,
a frontend, 2 io-nodes and the app-node. Open the frontend's URL in two windows to chat.

Options:
  --port P       frontend port (default: $HTTP_PORT or 8080, else a free one); the
                 io-nodes take 8081 and 8082 when free, else free ports
  --redis URL    use this Redis instead of starting a private redis-server
                 (default: $REDIS_URL)
  --prefix P     cluster key prefix (default: legacy-chat)
  -h, --help     show this help
`;

let args;
try {
  args = parseArgs({
    options: {
      port: { type: "string" },
      redis: { type: "string" },
      prefix: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  }).values;
} catch (err) {
  fail(`${err.message}\n\n${HELP}`);
}
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

// the CLI's helpers, straight from the sources (tsx is a dev dependency, as this script is)
const cli = (name) => tsImport(`../src/cli/${name}.ts`, import.meta.url);
const [{ ChildProcesses }, { startPrivateRedis }, { findFreePort, isPortFree, canConnect, waitForPort }, { findExecutable }, { exitOnSignal }, { waitFor }] =
  await Promise.all(["child-processes", "private-redis", "ports", "find-executable", "shutdown", "wait-for"].map(cli));

/** How long the nodes may take to join the cluster. */
const START_TIMEOUT_MS = 30_000;

function run(command, commandArgs, env = process.env) {
  say(`> ${command} ${commandArgs.join(" ")}`);
  const { status, error } = spawnSync(command, commandArgs, { cwd: root, stdio: "inherit", env });
  return !error && status === 0;
}

/** The examples require("socket.io-cluster"), which is this package's dist/ (its self-reference). */
function ensureBuilt() {
  if (existsSync(join(root, "dist", "index.js"))) return;
  say("dist/ is missing: building it first.");
  const tsup = createRequire(join(root, "package.json")).resolve("tsup/dist/cli-default.js");
  if (!run(process.execPath, [tsup])) fail("the build failed; see above.");
}

/** redis-server's path, installed with apt-get when missing and we are root. */
function ensureRedisServer() {
  const found = findExecutable("redis-server");
  if (found) return found;
  if (process.getuid?.() !== 0 || !findExecutable("apt-get")) {
    fail(
      "redis-server is not installed, and the legacy chat needs Redis between its nodes.\n" +
        "Install it (sudo apt-get install redis-server), or give a running one: npm run legacy-chat -- --redis redis://host:6379",
    );
  }
  say('redis-server is not installed: installing the Debian package "redis-server" with apt-get.');
  // the package would start a system redis-server on 6379: we only want the binary
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const installed = run("apt-get", ["update"], env) && run("apt-get", ["install", "-y", "--no-install-recommends", "redis-server"], env);
  if (ownPolicy) rmSync(policy, { force: true });
  const bin = installed && findExecutable("redis-server");
  if (!bin) fail('installing "redis-server" failed; see above.');
  return bin;
}

/** `preferred` when it is free (and not taken by us already), else a port the system picks. */
async function portNear(preferred, taken) {
  if (preferred && !taken.includes(preferred) && (await isPortFree(preferred))) return preferred;
  return findFreePort();
}

async function main() {
  ensureBuilt();
  const givenRedis = args.redis ?? (process.env.REDIS_URL || undefined);
  const redisBinary = givenRedis ? undefined : ensureRedisServer();
  const prefix = args.prefix ?? "legacy-chat";

  const taken = [];
  let frontendPort;
  if (args.port !== undefined) {
    frontendPort = Number(args.port);
    if (!Number.isInteger(frontendPort) || frontendPort < 1 || frontendPort > 65535) fail(`--port must be a port number, got "${args.port}"`);
    if (!(await isPortFree(frontendPort))) fail(`port ${frontendPort} is already in use: pick another --port`);
  } else {
    frontendPort = await portNear(Number(process.env.HTTP_PORT) || 8080, taken);
  }
  taken.push(frontendPort);
  const ioPorts = [];
  for (const preferred of [8081, 8082]) {
    const port = await portNear(preferred, taken);
    taken.push(port);
    ioPorts.push(port);
  }

  let started = false;
  let stopping = false;
  const nodes = [];
  const children = new ChildProcesses((child, description) => {
    if (stopping) return;
    console.error(`[legacy-chat] ${child.name} ${description}`);
    const left = children.running().filter((c) => c.name !== "redis");
    if (started && left.length > 0 && child.name !== "redis") {
      console.error("[legacy-chat] the other processes keep running; Ctrl-C stops them");
      return;
    }
    stopping = true;
    console.error("[legacy-chat] stopping");
    void children.stop([nodes]).then(() => process.exit(1));
  });
  exitOnSignal(async () => {
    stopping = true;
    say("stopping...");
    // the nodes say goodbye through Redis, so Redis goes last
    await children.stop([nodes]);
  });

  let redisUrl = givenRedis;
  const env = { ...process.env, HTTP_PORT: String(frontendPort), CLUSTER_PREFIX: prefix };
  if (givenRedis) {
    const { hostname, port } = new URL(givenRedis);
    if (!(await canConnect(hostname.replace(/^\[(.*)\]$/, "$1") || "localhost", Number(port) || 6379, 2_000))) {
      fail(`cannot reach Redis at ${givenRedis}: is it running?`);
    }
    env.REDIS_URL = givenRedis;
  } else {
    const redis = await startPrivateRedis(redisBinary, children);
    redisUrl = redis.url;
    const { hostname, port } = new URL(redis.url);
    Object.assign(env, { REDIS_HOST: hostname, REDIS_PORT: port });
    delete env.REDIS_URL;
    delete env.REDIS_PASSWORD;
  }
  if (stopping) return;

  const node = (name, file, extra = []) => {
    const child = children.start({ name, command: process.execPath, args: [join(example, file), ...extra], env });
    nodes.push(child);
    return child;
  };
  node("app", "appNode.js");
  ioPorts.forEach((port, i) => node(`io-${i}`, "ioNode.js", ["-p", String(port)]));
  const frontend = node("frontend", "frontendServer.js");

  // up once the frontend sees both io-nodes (with their addresses) and the app-node
  const gone = () => stopping || frontend.exited;
  const joined =
    (await waitForPort("127.0.0.1", frontendPort, START_TIMEOUT_MS, gone)) &&
    (await waitFor(
      async () => {
        try {
          const res = await fetch(`http://127.0.0.1:${frontendPort}/status.json`);
          const { nodes: live } = await res.json();
          return live.io.filter((n) => n.address).length >= ioPorts.length && live.app.length >= 1;
        } catch {
          return false;
        }
      },
      START_TIMEOUT_MS,
      gone,
    ));
  // a node that exited is reported, and everything stopped, by the handler given to ChildProcesses
  if (stopping || nodes.some((n) => n.exited)) return;
  if (!joined) {
    stopping = true;
    console.error(`[legacy-chat] the nodes did not join the cluster within ${START_TIMEOUT_MS / 1000} s: stopping`);
    await children.stop([nodes]);
    process.exit(1);
  }
  started = true;
  const url = `http://localhost:${frontendPort}`;
  console.log(
    [
      "",
      `Legacy chat (${relative(process.cwd(), example) || "."}) running as a cluster:`,
      `  Redis      ${redisUrl}${givenRedis ? "" : " (a private redis-server)"}, prefix "${prefix}"`,
      `  frontend   ${url}  (pages, /config.js, /status)`,
      `  io-nodes   ${ioPorts.map((p) => `http://localhost:${p}`).join("  ")}`,
      `  app-node   appNode.js`,
      "",
      `Open ${url} in two browser windows to chat; ${url}/status shows the nodes. Ctrl-C stops everything.`,
      "",
    ].join("\n"),
  );
}

main().catch((err) => fail(err.stack ?? String(err)));
