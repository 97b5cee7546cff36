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
  /** Connections each idle worker holds. */
  private readonly held: number[] = [];

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

  /**
   * Opens `count` more idle connections over `urls`, spread over enough idle workers. Calls add up
   * (the idle workload opens in two steps), so each new connection goes to the worker holding the
   * fewest: none goes over `perWorker`, and they stay evenly spread.
   */
  async openIdle(urls: string[], count: number, perWorker: number, timeoutMs: number): Promise<OpenResult> {
    const workers = Math.max(1, Math.ceil((this.held.reduce((a, n) => a + n, 0) + count) / perWorker));
    while (this.idle.length < workers) {
      this.idle.push(new Child({ name: `idle worker ${this.idle.length}`, script: join(__dirname, "idle-worker.ts"), cwd: this.root }));
      this.held.push(0);
    }
    const shares = Array<number>(this.idle.length).fill(0);
    for (let k = 0; k < count; k++) {
      let i = 0;
      for (let j = 1; j < shares.length; j++) if (this.held[j] + shares[j] < this.held[i] + shares[i]) i = j;
      shares[i]++;
    }
    const busy = shares.filter((n) => n > 0).length;
    const results = await Promise.all(
      shares.map(async (n, i) => {
        if (n === 0) return { opened: 0, failed: 0, elapsedMs: 0 };
        const r = await this.idle[i].request<OpenResult>({ cmd: "open", urls, count: n, concurrency: Math.ceil(256 / busy), timeoutMs });
        this.held[i] += r.opened;
        return r;
      }),
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
    this.held.fill(0);
  }

  async close(): Promise<void> {
    await Promise.all([this.load, ...this.idle].map((c) => c.close({ cmd: "disconnect" })));
  }
}
