/**
 * (e) Idle connections: memory per connection of a target, on fresh server processes.
 *
 * RSS of every server process of the target after a full GC (node --expose-gc, gc() twice), before
 * and after N idle websocket connections (idle-worker.ts: connected to the main namespace, answering
 * pings); (after − before) summed over the processes (io-node + app-node for split) ÷ N. A small
 * warm-up of connections first, so that first-use allocations (code, pools) are not counted as
 * per-connection memory.
 */
import type { Clients } from "./clients";
import type { WorkloadId } from "./config";
import type { NodeRole } from "./protocol";
import { sleep, waitUntil, WorkloadResult } from "./results";
import type { RunningTarget } from "./targets";

export interface IdleOptions {
  count: number;
  /** Connections per idle worker process (its file descriptors are limited). */
  perWorker: number;
  warmup: number;
  run: number;
  workload: WorkloadId;
}

async function rssByProcess(target: RunningTarget): Promise<number[]> {
  return (await Promise.all(target.processes.map((p) => p.stats(true)))).map((s) => s.rss);
}

export async function idle(target: RunningTarget, clients: Clients, o: IdleOptions): Promise<WorkloadResult> {
  const notes: string[] = [];
  const settle = async (n: number) => {
    if (!(await waitUntil(async () => (await target.sockets()) === n, 20_000, 100))) {
      notes.push(`servers see ${await target.sockets()} of ${n} sockets`);
    }
  };
  if (o.warmup > 0) {
    await clients.openIdle(target.urls, o.warmup, o.perWorker, 20_000);
    await clients.disconnectIdle();
    await settle(0);
  }
  await sleep(200);
  const before = await rssByProcess(target);
  const r = await clients.openIdle(target.urls, o.count, o.perWorker, 60_000);
  if (r.failed > 0) notes.push(`${r.failed} of ${o.count} failed (${r.firstError})`);
  await settle(r.opened);
  // let the servers finish what the handshakes started (timers, buffers) before measuring
  await sleep(500);
  const after = await rssByProcess(target);
  await clients.disconnectIdle();
  const memory: Partial<Record<NodeRole, number>> = {};
  let total = 0;
  target.processes.forEach((p, i) => {
    const kb = (after[i] - before[i]) / 1024 / Math.max(1, r.opened);
    memory[p.role] = (memory[p.role] ?? 0) + kb;
    total += kb;
  });
  return {
    workload: o.workload,
    target: target.id,
    run: o.run,
    value: total,
    unit: "KB/conn",
    count: r.opened,
    elapsedMs: r.elapsedMs,
    memory,
    notes,
  };
}
