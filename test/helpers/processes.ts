import { ChildProcess, spawn } from "child_process";
import { join } from "path";
import type { Socket as ClientSocket } from "socket.io-client";

export interface NodeProcess {
  proc: ChildProcess;
  /** The node id it printed when ready. */
  id: string;
  /** host:port, for io-nodes. */
  address?: string;
  /** Every line it printed on stdout so far (READY included). */
  lines: string[];
  /** Sends a signal and resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();

/**
 * Starts `test/fixtures/<fixture>.ts` in its own Node.js process and waits for its READY line.
 */
export function spawnNode(fixture: string, env: Record<string, string>, timeoutMs = 15_000): Promise<NodeProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", join(__dirname, "..", "fixtures", `${fixture}.ts`)], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(proc);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  exited.then(() => running.delete(proc));
  let stderr = "";
  proc.stderr!.on("data", (d) => {
    stderr += d;
    // FIXTURE_STDERR=1 shows what the children log (with DEBUG=socket.io-cluster:* their traces)
    if (process.env.FIXTURE_STDERR) process.stderr.write(d);
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`${fixture} did not start within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    let out = "";
    let partial = "";
    const lines: string[] = [];
    let ready = false;
    proc.stdout!.on("data", (d) => {
      partial += d;
      const complete = partial.split("\n");
      partial = complete.pop()!;
      lines.push(...complete);
      if (ready) return;
      out += d;
      const m = /READY (\S+)(?: (\S+))?/.exec(out);
      if (!m) return;
      ready = true;
      clearTimeout(timer);
      resolve({
        proc,
        id: m[1],
        address: m[2],
        lines,
        kill: (signal = "SIGKILL") => {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
      });
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${fixture} exited with ${code} before it was ready: ${stderr}`));
    });
  });
}

/** Kills every process started by spawnNode that is still running. */
export async function killAll(): Promise<void> {
  await Promise.all(
    [...running].map(
      (p) =>
        new Promise<void>((resolve) => {
          p.once("exit", () => resolve());
          p.kill("SIGKILL");
        }),
    ),
  );
}

/** What the app-node fixture answers to "whoami" about a client's socket. */
export interface WhoAmI {
  app: string;
  id: string;
  rooms: string[];
  data: Record<string, unknown>;
  recovered: boolean;
}

/** Asks the app-node fixture (test/fixtures/app-node.ts) which app-node owns the socket, and its state. */
export function whoami(socket: ClientSocket): Promise<WhoAmI> {
  return socket.timeout(8_000).emitWithAck("whoami") as Promise<WhoAmI>;
}
