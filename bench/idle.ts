/**
 * (e) Idle connections: the marginal memory of one more idle connection, on fresh server processes.
 *
 * After a warm-up (connections opened and closed: code compiled, pools created), N/5 idle websocket
 * connections (idle-worker.ts: connected to the main namespace, answering pings) are opened and
 * held, and every server process of the target reports its RSS and heapUsed after a full GC
 * (node --expose-gc); then the rest up to N, and again. The figure is
 * (memory at N − memory at N/5) ÷ (the connections in between), summed over the processes
 * (io-node + app-node for split). Measuring from N/5 rather than from zero leaves out what each
 * process grows once, whatever its connection count (heap segments, code, buffers of the first
 * connections), which otherwise made targets with more processes look worse per connection.
 * RSS leaves out V8's young generation (see NodeStats.youngResident): empty after the GC, it stays
 * resident, and grows with the allocation rate up to a cap once per process, so it fell into the
 * window more in targets whose processes each take fewer connections (redis-adapter, split-2+2).
 * heapUsed is reported beside RSS: it counts only the JS heap, but is much less noisy.
 */
import type { Clients } from "./clients";
import type { WorkloadId } from "./config";
import type { NodeRole, NodeStats } from "./protocol";
import { WorkloadResult } from "./results";
import { delay, holds } from "../test/helpers/wait";
import type { RunningTarget } from "./targets";

export interface IdleOptions {
  count: number;
  /** Connections per idle worker process (its file descriptors are limited). */
  perWorker: number;
  warmup: number;
  run: number;
  workload: WorkloadId;
}

/** The first measurement point, as a fraction of the connections. */
const BASE_FRACTION = 1 / 5;

export async function idle(target: RunningTarget, clients: Clients, o: IdleOptions): Promise<WorkloadResult> {
  const notes: string[] = [];
  const settle = async (n: number) => {
    if (!(await holds(async () => (await target.sockets()) === n, { timeout: 20_000, every: 100 }))) {
      notes.push(`servers see ${await target.sockets()} of ${n} sockets`);
    }
  };
  const open = async (n: number) => {
    const r = await clients.openIdle(target.urls, n, o.perWorker, 60_000);
    if (r.failed > 0) notes.push(`${r.failed} of ${n} failed (${r.firstError})`);
    return r;
  };
  /** Every process's memory with `held` connections, once the servers have seen them all. */
  const measure = async (held: number): Promise<NodeStats[]> => {
    await settle(held);
    // a time on purpose: the servers finish what the handshakes started (timers, buffers) before
    // measuring, and nothing announces that
    await delay(500);
    return Promise.all(target.processes.map((p) => p.stats(true)));
  };
  if (o.warmup > 0) {
    await clients.openIdle(target.urls, o.warmup, o.perWorker, 20_000);
    await clients.disconnectIdle();
    await settle(0);
  }
  const first = await open(Math.round(o.count * BASE_FRACTION));
  const base = await measure(first.opened);
  const rest = await open(o.count - Math.round(o.count * BASE_FRACTION));
  const held = first.opened + rest.opened;
  const full = await measure(held);
  await clients.disconnectIdle();

  // NaN (shown as a dash) when no connection was added between the two points
  const added = rest.opened > 0 ? rest.opened : NaN;
  const rss: Partial<Record<NodeRole, number>> = {};
  const heapByRole: Partial<Record<NodeRole, number>> = {};
  let rssTotal = 0;
  let heapTotal = 0;
  let youngTotal = 0;
  target.processes.forEach((p, i) => {
    // RSS less the young generation's resident pages: a process that took fewer connections in the
    // first step grows it in the second (up to V8's cap, ~30 MB), which is no per-connection cost
    const youngKb = (full[i].youngResident - base[i].youngResident) / 1024 / added;
    const rssKb = (full[i].rss - base[i].rss) / 1024 / added - youngKb;
    const heapKb = (full[i].heapUsed - base[i].heapUsed) / 1024 / added;
    rss[p.role] = (rss[p.role] ?? 0) + rssKb;
    heapByRole[p.role] = (heapByRole[p.role] ?? 0) + heapKb;
    rssTotal += rssKb;
    heapTotal += heapKb;
    youngTotal += youngKb;
  });
  return {
    workload: o.workload,
    target: target.id,
    run: o.run,
    value: rssTotal,
    unit: "KB/conn",
    count: held,
    elapsedMs: first.elapsedMs + rest.elapsedMs,
    memory: { from: first.opened, to: held, rss, heap: heapTotal, heapByRole, young: youngTotal },
    notes,
  };
}
