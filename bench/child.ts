/**
 * The bench's handle on one child process (a server node or a client worker): starts it with
 * `node` (plus tsx for the .ts entry), sends requests over IPC and waits for their replies, relays
 * its events, and ends it. Every child ever started is kept in one set so that an exit, a signal
 * or an error of the bench kills whatever is still running: no process outlives the bench.
 */
import { ChildProcess, fork } from "child_process";
import { EventEmitter } from "events";
import type { Reply } from "./protocol";

const running = new Set<Child>();

export interface ChildOptions {
  /** For messages. */
  name: string;
  script: string;
  cwd: string;
  /** Node flags before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export class Child extends EventEmitter {
  readonly name: string;
  readonly process: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly exited: Promise<void>;

  constructor(opts: ChildOptions) {
    super();
    this.name = opts.name;
    // explicit execArgv: flags of the bench process itself must not leak into its children
    this.process = fork(opts.script, [], {
      cwd: opts.cwd,
      execArgv: [...(opts.nodeArgs ?? []), "--import", "tsx"],
      env: opts.env ?? process.env,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    running.add(this);
    this.exited = new Promise((resolve) =>
      this.process.once("exit", (code, signal) => {
        running.delete(this);
        for (const p of this.pending.values()) p.reject(new Error(`${this.name} exited (${code ?? signal})`));
        this.pending.clear();
        this.emit("exit", code, signal);
        resolve();
      }),
    );
    this.process.on("message", (msg: Reply | { event: string }) => {
      if ("event" in msg) {
        this.emit(msg.event, msg);
        return;
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(`${this.name}: ${msg.error}`));
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Runs a command in the child; resolves with its result. */
  request<T>(command: object): Promise<T> {
    if (!this.alive || !this.process.connected) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.process.send({ ...command, id });
    });
  }

  /** Resolves with the first `event` the child sends; rejects when it exits first or after `timeoutMs`. */
  waitFor<T>(event: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (err?: Error, value?: T) => {
        clearTimeout(timer);
        this.off(event, onEvent);
        this.off("exit", onExit);
        if (err) reject(err);
        else resolve(value as T);
      };
      const onEvent = (msg: T) => done(undefined, msg);
      const onExit = (code: number | null, signal: string | null) => done(new Error(`${this.name} exited (${code ?? signal}) before "${event}"`));
      const timer = setTimeout(() => done(new Error(`${this.name}: no "${event}" within ${timeoutMs} ms`)), timeoutMs);
      this.on(event, onEvent);
      this.on("exit", onExit);
    });
  }

  /**
   * Ends the child: `exitCommand` (when given) lets it close and exit by itself, which a CPU profile
   * needs; then the IPC channel is closed, and after `graceMs` it is killed.
   */
  async close(exitCommand?: object, graceMs = 5_000): Promise<void> {
    if (!this.alive) return;
    const timer = setTimeout(() => this.process.kill("SIGKILL"), graceMs);
    if (exitCommand && this.process.connected) await this.request(exitCommand).catch(() => undefined);
    if (this.process.connected) this.process.disconnect();
    await this.exited;
    clearTimeout(timer);
  }
}

/** Kills every child still running, at once (synchronous: usable from an "exit" handler). */
export function killAllChildren(): void {
  for (const child of running) if (child.alive) child.process.kill("SIGKILL");
}

/** Children still running (for a last check). */
export function runningChildren(): number {
  return running.size;
}
