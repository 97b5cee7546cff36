/**
 * The workloads, each bounded in count and in time:
 *  (c) connect: C websocket clients at once → connections per second, time to 50%/99% connected;
 *  (a) echo: every client does emit-with-ack round trips in a loop → round trips per second, latency;
 *  (b) broadcast: the first server emits K small JSON messages to a room holding every client, B per
 *      tick with at most W batches not yet fully delivered → deliveries per second, delivery latency
 *      (server timestamp in the payload, read by the client).
 */
import type { BenchConfig, WorkloadId } from "./config";
import { addCpu, CpuMeter, CpuSpent } from "./cpu";
import type { ClientDriver } from "./driver";
import { EVENTS, ConnectResult, EchoResult, ListenResult, ROOM } from "./protocol";
import { LatencySummary, nowMs, summarize } from "./stats";
import { connectedSockets, RunningTarget } from "./targets";

export interface WorkloadResult {
  workload: WorkloadId;
  target: string;
  /** Which run of the bench (0-based): ratios compare figures of the same run. */
  run: number;
  /** The headline figure: connections, round trips or deliveries per second. */
  rate: number;
  unit: string;
  /** Operations measured (connections, round trips, deliveries). */
  count: number;
  elapsedMs: number;
  /** ms; for connect, the time until that share of the clients was connected. */
  latency: LatencySummary;
  /** CPU per operation, µs: of the server process, and of redis-server (targets that use it). */
  serverCpuUs: number;
  redisCpuUs?: number;
  /** Anything that makes the figure not the whole story: a time cap, losses, failures. */
  notes: string[];
}

/** What a workload runs against. */
export interface WorkloadContext {
  driver: ClientDriver;
  target: RunningTarget;
  /** The target's id, for the results. */
  id: string;
  /** Whether the target uses Redis (its CPU is counted then). */
  usesRedis: boolean;
  run: number;
  meter: CpuMeter;
  cfg: BenchConfig;
}

function perOp(cpu: CpuSpent, ops: number, usesRedis: boolean): Pick<WorkloadResult, "serverCpuUs" | "redisCpuUs"> {
  return {
    serverCpuUs: ops > 0 ? (cpu.serverMs * 1000) / ops : NaN,
    redisCpuUs: usesRedis && cpu.redisMs !== undefined && ops > 0 ? (cpu.redisMs * 1000) / ops : undefined,
  };
}

const GRACE_MS = 5_000;

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/**
 * Connects `count` clients at once and waits until the servers count them; with `rounds` > 1, the
 * clients of every round but the last are disconnected again and the figures cover every round.
 */
export async function connect(ctx: WorkloadContext, count: number, rounds = 1): Promise<WorkloadResult> {
  const { driver, target } = ctx;
  const notes: string[] = [];
  const samples: number[] = [];
  let connected = 0;
  let elapsedMs = 0;
  let cpu: CpuSpent = { serverMs: 0, redisMs: 0 };
  for (let round = 0; round < rounds; round++) {
    if (round > 0) await disconnect(ctx);
    const before = await ctx.meter.snapshot();
    const r = await driver.run<ConnectResult>({ cmd: "connect", urls: target.urls, count, timeoutMs: 20_000 });
    if (r.failed > 0) notes.push(`${r.failed} failed (${r.firstError})`);
    if (!(await waitUntil(() => connectedSockets(target) >= r.connected, GRACE_MS))) {
      notes.push(`servers see ${connectedSockets(target)} of ${r.connected} sockets`);
    }
    cpu = addCpu(cpu, await ctx.meter.since(before));
    connected += r.connected;
    elapsedMs += r.elapsedMs;
    samples.push(...r.samples);
    if (r.connected === 0) break;
  }
  return {
    workload: "connect",
    target: ctx.id,
    run: ctx.run,
    rate: elapsedMs > 0 ? (connected / elapsedMs) * 1000 : NaN,
    unit: "conn/s",
    count: connected,
    elapsedMs,
    latency: summarize(samples),
    ...perOp(cpu, connected, ctx.usesRedis),
    notes: [...new Set(notes)],
  };
}

/** Disconnects every client and waits (up to 5 s) until the servers have let go of them. */
export async function disconnect(ctx: Pick<WorkloadContext, "driver" | "target">): Promise<void> {
  await ctx.driver.run({ cmd: "disconnect" });
  await waitUntil(() => connectedSockets(ctx.target) === 0, GRACE_MS);
}

export async function echo(ctx: WorkloadContext, rounds: number): Promise<WorkloadResult> {
  const { driver, cfg } = ctx;
  const before = await ctx.meter.snapshot();
  const r = await driver.run<EchoResult>({
    cmd: "echo",
    rounds,
    maxMs: cfg.echoMaxMs,
    graceMs: GRACE_MS,
    payloadBytes: cfg.echoPayloadBytes,
  });
  const cpu = await ctx.meter.since(before);
  const notes: string[] = [];
  if (r.capped) notes.push(`time cap ${cfg.echoMaxMs} ms`);
  if (r.lost > 0) notes.push(`${r.lost} unanswered`);
  return {
    workload: "echo",
    target: ctx.id,
    run: ctx.run,
    rate: (r.completed / r.elapsedMs) * 1000,
    unit: "round trips/s",
    count: r.completed,
    elapsedMs: r.elapsedMs,
    latency: r.latency,
    ...perOp(cpu, r.completed, ctx.usesRedis),
    notes,
  };
}

export async function broadcast(ctx: WorkloadContext, messages: number, clients: number): Promise<WorkloadResult> {
  const { driver, target, cfg } = ctx;
  const joined = await driver.run<number>({ cmd: "join", timeoutMs: 10_000 });
  // every server has the room: the joins were acknowledged by the sockets' own servers
  const io = target.servers[0];
  const batchSize = cfg.broadcastBatch;
  const batches = Math.max(1, Math.ceil(messages / batchSize));
  const perBatch = batchSize * joined;
  await driver.run({ cmd: "listen", batchSize });

  let sent = 0;
  let done = 0;
  let capped = false;
  const before = await ctx.meter.snapshot();
  const start = nowMs();
  let lastDoneAt = start;
  const emitBatch = () => {
    const b = sent++;
    for (let s = 0; s < batchSize; s++) {
      io.to(ROOM).emit(EVENTS.broadcast, { b, s, t: nowMs(), text: "hello, room" });
    }
  };
  const finished = await new Promise<boolean>((resolve) => {
    let over = false;
    const finish = (complete: boolean) => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      driver.off("batch", onBatch);
      resolve(complete);
    };
    const pump = () => {
      while (sent - done < cfg.broadcastWindow && sent < batches) {
        if (nowMs() - start > cfg.broadcastMaxMs) {
          capped = true;
          break;
        }
        emitBatch();
      }
      if (done === sent && (sent === batches || capped)) finish(true);
    };
    const onBatch = () => {
      done++;
      lastDoneAt = nowMs();
      pump();
    };
    const timer = setTimeout(() => finish(false), cfg.broadcastMaxMs + GRACE_MS);
    driver.on("batch", onBatch);
    pump();
  });
  const cpu = await ctx.meter.since(before);
  const expected = sent * perBatch;
  const r = await driver.run<ListenResult>({ cmd: "unlisten", expected, graceMs: finished ? 0 : 1_000 });
  const notes: string[] = [];
  if (joined !== clients) notes.push(`${joined} of ${clients} clients joined`);
  if (capped) notes.push(`time cap ${cfg.broadcastMaxMs} ms`);
  if (r.received < expected) notes.push(`${expected - r.received} of ${expected} deliveries missing`);
  const delivered = done * perBatch;
  const elapsedMs = lastDoneAt - start;
  return {
    workload: "broadcast",
    target: ctx.id,
    run: ctx.run,
    rate: elapsedMs > 0 ? (delivered / elapsedMs) * 1000 : NaN,
    unit: "deliveries/s",
    count: delivered,
    elapsedMs,
    latency: r.latency,
    ...perOp(cpu, delivered, ctx.usesRedis),
    notes,
  };
}
