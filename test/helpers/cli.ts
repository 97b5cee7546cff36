import { spawn } from "child_process";
import { join } from "path";
import { onCleanup } from "./index";

const ROOT = join(__dirname, "..", "..");

/**
 * Runs `socket.io-cluster ARGS` (src/cli.ts through tsx) in a child process, killed after the
 * test if still running. Redis comes from the arguments only, unless `env` sets it.
 */
export function runCli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, SOCKET_IO_CLUSTER_REDIS_URL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  onCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return exited;
  }, "cli process");
  return { child, exited, out: () => stdout, err: () => stderr };
}
