// `npm start`: the chat example as a local cluster, from a fresh clone after `npm install`.
// Extra arguments go to `socket.io-cluster dev` (e.g. `npm start -- --io-nodes 3`).
import { spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "cli.js");

function onPath(name) {
  return (process.env.PATH ?? "").split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

function run(command, args) {
  console.log(`> ${command} ${args.join(" ")}`);
  const { status, error } = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  return !error && status === 0;
}

if (!existsSync(cli) || !existsSync(join(root, "dist", "index.js"))) {
  console.log("dist/ is missing: building it first.");
  if (!run("npx", ["tsup"])) {
    console.error("The build failed; see above.");
    process.exit(1);
  }
}

// SOCKET_IO_CLUSTER_REDIS_URL means Redis is provided: no need for a local redis-server
if (!process.env.SOCKET_IO_CLUSTER_REDIS_URL && !process.argv.includes("--redis") && !onPath("redis-server")) {
  if (process.getuid?.() === 0 && onPath("apt-get")) {
    console.log("redis-server is not installed: installing it with apt-get, to run the chat as a real cluster.");
    const installed = run("apt-get", ["update"]) && run("apt-get", ["install", "-y", "redis-server"]);
    if (!installed) console.log("Installing redis-server failed: continuing with the in-memory default (one process).");
  } else {
    console.log(
      "redis-server is not installed (and installing it needs root): continuing with the in-memory default,\n" +
        "a single process. Install Redis (e.g. sudo apt-get install redis-server) to run a real cluster.",
    );
  }
}

const child = spawn(process.execPath, [cli, "dev", join(root, "examples", "chat", "index.js"), ...process.argv.slice(2)], {
  stdio: "inherit",
});
// Ctrl-C reaches the child through the terminal; a SIGTERM sent to us alone must be passed on
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
