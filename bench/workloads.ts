/**
 * The load workloads on a running target, socket.io-client over websocket; each bounded in count
 * and in time:
 *  (f) connect: C clients at once, several rounds → connections/s, time to 50% / 99% connected;
 *  (a) echo: every client does emit-with-ack round trips, one after the other → round trips/s;
 *  (b) fixed-rate: echo at a fixed total rate, open loop → latency only;
 *  (c) fan-out: one server / app-node broadcasts to a room holding every client, B messages per
 *      batch, at most W batches not yet fully delivered → deliveries/s, server emit → client receipt;
 *  (d) binary: echo of a 64 KiB buffer.
 * CPU is measured from just before the load until the clients have their last reply.
 */
import { addCpu, CpuSpent, NO_CPU } from "./cpu";
import type { WorkloadId } from "./config";
import type { ConnectResult, EchoResult, ListenResult, PayloadKind } from "./protocol";
import { perOp, WorkloadContext, WorkloadResult } from "./results";
import { holds } from "../test/helpers/wait";
import { nowMs, summarize } from "./stats";

const GRACE_MS = 5_000;

function result(ctx: WorkloadContext, workload: WorkloadId, fields: Omit<WorkloadResult, "workload" | "target" | "run">): WorkloadResult {
  return { workload, target: ctx.target.id, run: ctx.run, ...fields };
}

/** Connects `count` clients at once, `rounds` times (every round but the last disconnected again). */
export async function connect(ctx: WorkloadContext, count: number, rounds: number): Promise<WorkloadResult> {
  const { clients, target, meter } = ctx;
  const notes: string[] = [];
  const samples: number[] = [];
  let connected = 0;
  let elapsedMs = 0;
  let cpu: CpuSpent = NO_CPU;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await disconnect(ctx);
    const before = await meter.snapshot();
    const r = await clients.run<ConnectResult>({ cmd: "connect", urls: target.urls, count, timeoutMs: 20_000 });
    cpu = addCpu(cpu, await meter.since(before));
    if (r.failed > 0) notes.push(`${r.failed} failed (${r.firstError})`);
    if (!(await holds(async () => (await target.sockets()) >= r.connected, { timeout: GRACE_MS, every: 50 }))) {
      notes.push(`servers see ${await target.sockets()} of ${r.connected} sockets`);
    }
    connected += r.connected;
    elapsedMs += r.elapsedMs;
    samples.push(...r.samples);
    if (r.connected === 0) break;
  }
  return result(ctx, "connect", {
    value: elapsedMs > 0 ? (connected / elapsedMs) * 1000 : NaN,
    unit: "conn/s",
    count: connected,
    elapsedMs,
    latency: summarize(samples),
    cpu: perOp(cpu, connected),
    notes: [...new Set(notes)],
  });
}

/** Disconnects every load client and waits (up to 5 s) until the servers have let go of them. */
export async function disconnect(ctx: Pick<WorkloadContext, "clients" | "target">): Promise<void> {
  await ctx.clients.run({ cmd: "disconnect" });
  await holds(async () => (await ctx.target.sockets()) === 0, { timeout: GRACE_MS, every: 50 });
}

/** Closed-loop echo: (a) with a small JSON payload, (d) with a binary one. */
export async function echo(ctx: WorkloadContext, workload: "echo" | "binary", payload: PayloadKind, rounds: number): Promise<WorkloadResult> {
  const { clients, cfg, meter } = ctx;
  const maxMs = workload === "binary" ? cfg.binaryMaxMs : cfg.echoMaxMs;
  const before = await meter.snapshot();
  const r = await clients.run<EchoResult>({ cmd: "echo", rounds, maxMs, graceMs: GRACE_MS, payload });
  const cpu = await meter.since(before);
  const notes: string[] = [];
  if (r.capped) notes.push(`time cap ${maxMs} ms`);
  if (r.lost > 0) notes.push(`${r.lost} unanswered`);
  return result(ctx, workload, {
    value: (r.completed / r.elapsedMs) * 1000,
    unit: "round trips/s",
    count: r.completed,
    elapsedMs: r.elapsedMs,
    latency: r.latency,
    cpu: perOp(cpu, r.completed),
    notes,
  });
}

/**
 * (b) Open-loop echo at cfg.fixedRate round trips/s in total: latency under a steady, modest load.
 * No CPU figure: at a low rate it is mostly fixed costs (timers, wake-ups), not a per-operation cost.
 */
export async function fixedRate(ctx: WorkloadContext, durationMs: number): Promise<WorkloadResult> {
  const { clients, cfg } = ctx;
  const r = await clients.run<EchoResult>({
    cmd: "fixed-rate",
    rate: cfg.fixedRate,
    durationMs,
    graceMs: GRACE_MS,
    payload: { type: "json", bytes: cfg.echoPayloadBytes },
  });
  return result(ctx, "fixed-rate", {
    value: (r.completed / r.elapsedMs) * 1000,
    unit: "round trips/s",
    count: r.completed,
    elapsedMs: r.elapsedMs,
    latency: r.latency,
    notes: r.lost > 0 ? [`${r.lost} unanswered`] : [],
  });
}

/** (c) Room fan-out from the target's first application process to every client. */
export async function fanout(ctx: WorkloadContext, messages: number, maxMs: number): Promise<WorkloadResult> {
  const { clients, target, cfg, meter } = ctx;
  const joined = await clients.run<number>({ cmd: "join", timeoutMs: 10_000 });
  const batchSize = cfg.fanoutBatch;
  const batches = Math.max(1, Math.ceil(messages / batchSize));
  const perBatch = batchSize * joined;
  await clients.run({ cmd: "listen", batchSize });
  const emitter = target.broadcaster.child;

  let sent = 0;
  let done = 0;
  let capped = false;
  const before = await meter.snapshot();
  const start = nowMs();
  let lastDoneAt = start;
  const finished = await new Promise<boolean>((resolve) => {
    let over = false;
    const finish = (complete: boolean) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      clients.load.off("batch", onBatch);
      resolve(complete);
    };
    const pump = () => {
      while (sent - done < cfg.fanoutWindow && sent < batches) {
        if (nowMs() - start > maxMs) {
          capped = true;
          break;
        }
        emitter.request({ cmd: "emit", batch: sent++, count: batchSize }).catch(() => finish(false));
      }
      if (done === sent && (sent === batches || capped)) finish(true);
    };
    const onBatch = () => {
      done++;
      lastDoneAt = nowMs();
      pump();
    };
    const timer = setTimeout(() => finish(false), maxMs + GRACE_MS);
    clients.load.on("batch", onBatch);
    pump();
  });
  const cpu = await meter.since(before);
  const expected = sent * perBatch;
  const r = await clients.run<ListenResult>({ cmd: "unlisten", expected, graceMs: finished ? 0 : 1_000 });
  const notes: string[] = [];
  if (capped) notes.push(`time cap ${maxMs} ms`);
  if (r.received < expected) notes.push(`${expected - r.received} of ${expected} deliveries missing`);
  const delivered = done * perBatch;
  const elapsedMs = lastDoneAt - start;
  return result(ctx, "fanout", {
    value: elapsedMs > 0 ? (delivered / elapsedMs) * 1000 : NaN,
    unit: "deliveries/s",
    count: delivered,
    elapsedMs,
    latency: r.latency,
    cpu: perOp(cpu, r.received),
    notes: joined < cfg.clients ? [`${joined} of ${cfg.clients} clients joined`, ...notes] : notes,
  });
}
