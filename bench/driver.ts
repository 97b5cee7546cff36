/**
 * The main process's handle on the client worker (client-worker.ts): starts it, sends it commands
 * and waits for their replies, and relays its `batch` events.
 */
import { ChildProcess, fork } from "child_process";
import { EventEmitter } from "events";
import { join } from "path";
import { Command, Reply, WorkerEvent } from "./protocol";

export class ClientDriver extends EventEmitter {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly exited: Promise<void>;

  constructor(root: string) {
    super();
    // explicit execArgv: a --cpu-prof of the bench must not profile the clients too
    this.child = fork(join(__dirname, "client-worker.ts"), [], {
      cwd: root,
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
    this.child.on("message", (msg: Reply | WorkerEvent) => {
      if ("event" in msg) {
        this.emit(msg.event, msg);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`client worker: ${msg.error}`));
    });
    this.child.once("exit", (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`client worker exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  /** Runs a command in the worker; resolves with its result. */
  run<T>(command: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ ...command, id });
    });
  }

  /** Closes the worker's clients and ends it (killed if it has not exited within 5 s). */
  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) {
      await this.run({ cmd: "disconnect" }).catch(() => undefined);
      this.child.disconnect();
    }
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
