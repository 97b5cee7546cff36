/**
 * The bench's client processes: one socket.io-client worker (client-worker.ts) for the load
 * workloads, and as many bare-websocket workers (idle-worker.ts) as idle connections need, each
 * holding at most `perWorker` (a process's file descriptors are limited).
 */
import { join } from "path";
import { Child } from "./child";
import type { ClientCommand, OpenResult } from "./protocol";

export class Clients {
  readonly load: Child;
  private readonly idle: Child[] = [];

  constructor(private readonly root: string) {
    this.load = new Child({ name: "client worker", script: join(__dirname, "client-worker.ts"), cwd: root });
  }

  run<T>(command: ClientCommand): Promise<T> {
    return this.load.request<T>(command);
  }

  /** Every client process's pid (their CPU is reported apart from the servers'). */
  pids(): number[] {
    return [this.load, ...this.idle].filter((c) => c.alive).map((c) => c.pid);
  }

  /** Opens `count` idle connections over `urls`, spread over enough idle workers. */
  async openIdle(urls: string[], count: number, perWorker: number, timeoutMs: number): Promise<OpenResult> {
    const workers = Math.max(1, Math.ceil(count / perWorker));
    while (this.idle.length < workers) {
      this.idle.push(new Child({ name: `idle worker ${this.idle.length}`, script: join(__dirname, "idle-worker.ts"), cwd: this.root }));
    }
    const shares = Array.from({ length: workers }, (_, i) => Math.floor(count / workers) + (i < count % workers ? 1 : 0));
    const results = await Promise.all(
      shares.map((n, i) =>
        this.idle[i].request<OpenResult>({ cmd: "open", urls, count: n, concurrency: Math.ceil(256 / workers), timeoutMs }),
      ),
    );
    return {
      opened: results.reduce((a, r) => a + r.opened, 0),
      failed: results.reduce((a, r) => a + r.failed, 0),
      firstError: results.find((r) => r.firstError)?.firstError,
      elapsedMs: Math.max(...results.map((r) => r.elapsedMs)),
    };
  }

  async disconnectIdle(): Promise<void> {
    await Promise.all(this.idle.map((c) => c.request({ cmd: "disconnect" }).catch(() => undefined)));
  }

  async close(): Promise<void> {
    await Promise.all([this.load, ...this.idle].map((c) => c.close({ cmd: "disconnect" })));
  }
}
