/**
 * `npm run bench`: socket.io-cluster next to plain Socket.IO and @socket.io/redis-adapter, measured
 * in the same run on the same machine. Servers run here; clients run in a separate process
 * (client-worker.ts). scripts/bench.mjs starts a private redis-server and passes its URL in
 * SOCKET_IO_CLUSTER_BENCH_REDIS_URL; without it the Redis targets are skipped.
 *
 * Usage: node --import tsx bench/main.ts [--quick] [--targets a,b] [--workloads echo,broadcast,connect] …
 * (`--help` lists every option).
 */
import { existsSync } from "fs";
import { loadavg } from "os";
import { join } from "path";
import Redis from "ioredis";
import { ConfigError, parseConfig, WorkloadId } from "./config";
import { ClientDriver } from "./driver";
import { buildRows, formatReport, Report, systemInfo, writeJson } from "./report";
import { BASELINE, connectedSockets, RunningTarget, Target, TargetContext, TARGETS } from "./targets";
import { broadcast, connect, disconnect, echo, WorkloadContext, WorkloadResult } from "./workloads";
import { CpuMeter } from "./cpu";

const root = join(__dirname, "..");
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

function loadLibrary(fromSrc: boolean): TargetContext["lib"] {
  if (fromSrc) return require("../src");
  const entry = join(root, "dist", "index.js");
  if (!existsSync(entry)) throw new Error("dist/ is missing: run `npm run build` (npm run bench builds it), or pass --from-src");
  return require(entry);
}

async function redisVersion(url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const info = await client.info("server");
    return /redis_version:(\S+)/.exec(info)?.[1];
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");

/** Runs the workloads unmeasured: connects `clients` (`connectRounds` times), echoes, broadcasts, disconnects. */
async function warmUp(ctx: WorkloadContext, clients: number, rounds: number, messages: number, connectRounds = 2): Promise<void> {
  if (clients === 0) return;
  await connect(ctx, clients, connectRounds);
  const connected = connectedSockets(ctx.target);
  if (connected > 0 && rounds > 0) await echo(ctx, rounds);
  if (connected > 0 && messages > 0) await broadcast(ctx, messages, connected);
  await disconnect(ctx);
}

/**
 * Before anything is measured, the client process and Socket.IO's own code (shared by every
 * target) run the full-size workloads once on plain Socket.IO: otherwise whichever target comes
 * first pays for the JIT compilation of the client side (connection setup most of all).
 */
async function warmUpProcesses(lib: TargetContext, base: Omit<WorkloadContext, "target" | "id" | "usesRedis" | "run">): Promise<void> {
  const { cfg } = base;
  if (cfg.warmupConnectRounds === 0) return;
  const baseline = TARGETS.find((t) => t.id === BASELINE)!;
  progress(`warm-up: ${cfg.warmupConnectRounds} × ${cfg.clients} connections and each workload on ${baseline.id}, unmeasured`);
  const target = await baseline.start(lib);
  try {
    const ctx = { ...base, target, id: "warm-up", usesRedis: false, run: -1 };
    await warmUp(ctx, cfg.clients, cfg.echoRounds, cfg.broadcastMessages, cfg.warmupConnectRounds);
  } finally {
    await target.close();
  }
}

const fmtUs = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "" : `, ${n.toFixed(1)} µs CPU/op`);

/** One target, every workload: start, warm up, measure, close. */
async function runTarget(
  target: Target,
  lib: TargetContext,
  base: Omit<WorkloadContext, "target" | "id" | "usesRedis" | "run">,
  run: number,
  results: WorkloadResult[],
): Promise<void> {
  const { cfg } = base;
  const running: RunningTarget = await target.start(lib);
  const ctx: WorkloadContext = { ...base, target: running, id: target.id, usesRedis: target.needsRedis, run };
  try {
    // warm-up: the same paths, smaller, unmeasured
    await warmUp(ctx, cfg.warmupClients, cfg.warmupRounds, cfg.warmupMessages);
    const measure = (w: WorkloadId) => cfg.workloads.includes(w);
    const c = await connect(ctx, cfg.clients, measure("connect") ? cfg.connectRounds : 1);
    // the clients of the last round, which the other workloads use
    const clients = connectedSockets(running);
    if (measure("connect")) {
      results.push(c);
      progress(`${target.id}: connect ${fmt(c.rate)} conn/s${fmtUs(c.serverCpuUs)} ${c.notes.join("; ")}`);
    }
    if (clients === 0) throw new Error(`no client could connect${c.notes.length ? `: ${c.notes.join("; ")}` : ""}`);
    if (measure("echo")) {
      const r = await echo(ctx, cfg.echoRounds);
      results.push(r);
      progress(`${target.id}: echo ${fmt(r.rate)} round trips/s, p50 ${r.latency.p50.toFixed(2)} ms${fmtUs(r.serverCpuUs)} ${r.notes.join("; ")}`);
    }
    if (measure("broadcast")) {
      const r = await broadcast(ctx, cfg.broadcastMessages, clients);
      results.push(r);
      progress(`${target.id}: broadcast ${fmt(r.rate)} deliveries/s, p50 ${r.latency.p50.toFixed(2)} ms${fmtUs(r.serverCpuUs)} ${r.notes.join("; ")}`);
    }
  } finally {
    await disconnect(ctx).catch(() => undefined);
    await running.close();
  }
}

async function main(): Promise<number> {
  const cfg = parseConfig(process.argv.slice(2), process.env, join(root, "bench", "results", "latest.json"));
  const lib = loadLibrary(cfg.fromSrc);
  const targetCtx: TargetContext = { lib, redisUrl: cfg.redisUrl };
  const system = systemInfo(cfg.fromSrc ? "src" : "dist", cfg.redisUrl ? await redisVersion(cfg.redisUrl) : undefined);
  const targets = TARGETS.filter((t) => cfg.targets.includes(t.id));
  const failures: Array<{ target: string; workload: WorkloadId; error: string }> = [];
  const results: WorkloadResult[] = [];
  const driver = new ClientDriver(root);
  const meter = new CpuMeter(cfg.redisUrl);
  const base = { driver, meter, cfg };
  const started = Date.now();
  try {
    await warmUpProcesses(targetCtx, base);
    for (let run = 0; run < cfg.repeat; run++) {
      // rotated order: no target always runs first (cold machine) or last
      const order = targets.map((_, i) => targets[(i + run) % targets.length]);
      for (const target of order) {
        if (target.needsRedis && !cfg.redisUrl) {
          if (run === 0) progress(`${target.id}: skipped (no Redis: set SOCKET_IO_CLUSTER_BENCH_REDIS_URL or use npm run bench)`);
          continue;
        }
        progress(`${target.id}${cfg.repeat > 1 ? ` (run ${run + 1}/${cfg.repeat})` : ""}: ${target.label}`);
        try {
          await runTarget(target, targetCtx, base, run, results);
        } catch (err) {
          const error = (err as Error).message;
          progress(`${target.id}: FAILED: ${(err as Error).stack}`);
          for (const workload of cfg.workloads) {
            if (!results.some((r) => r.target === target.id && r.workload === workload)) failures.push({ target: target.id, workload, error });
          }
        }
      }
    }
  } finally {
    await driver.close();
    await meter.close();
  }
  system.loadEnd = Math.round(loadavg()[0] * 100) / 100;
  const { redisUrl: _redisUrl, out, ...config } = cfg;
  const report: Report = {
    system,
    config,
    baseline: BASELINE,
    rows: buildRows(results, failures, targets, cfg.workloads, BASELINE),
  };
  progress(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log("\n" + formatReport(report));
  if (out) {
    writeJson(out, report);
    progress(`results written to ${out}`);
  }
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // everything is closed by now; should anything still hold the loop, say what and leave anyway
    setTimeout(() => {
      progress(`still open after the bench: ${process.getActiveResourcesInfo().join(", ")}; exiting`);
      process.exit(code);
    }, 5_000).unref();
  },
  (err) => {
    if (err instanceof ConfigError) {
      console.error(`[bench] ${err.message}`);
      process.exit(2);
    }
    console.error(err);
    process.exit(1);
  },
);
