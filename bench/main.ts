/**
 * `npm run bench`: socket.io-cluster next to plain Socket.IO and @socket.io/redis-adapter, measured
 * in the same run on the same machine. Every node of a target is its own process (server-node.ts),
 * the clients run in their own processes (client-worker.ts, idle-worker.ts); this process only
 * orchestrates and measures. scripts/bench.mjs starts a private redis-server and passes its URL and
 * pid; without them the Redis targets are skipped.
 *
 * Usage: node --import tsx bench/main.ts [--quick] [--targets a,b] [--workloads echo,fanout] [--runs N] …
 * (`--help` lists every option).
 */
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";
import Redis from "ioredis";
import { killAllChildren } from "./child";
import { Clients } from "./clients";
import { BenchConfig, ConfigError, parseConfig, WorkloadId } from "./config";
import { CpuMeter } from "./cpu";
import { idle } from "./idle";
import { buildRows, formatReport, Report, systemInfo, writeReport } from "./report";
import type { WorkloadContext, WorkloadResult } from "./results";
import { BASELINE, LaunchOptions, startTarget, Target, TARGETS } from "./targets";
import { connect, disconnect, echo, fanout, fixedRate } from "./workloads";

const root = join(__dirname, "..");
const progress = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const LOAD: WorkloadId[] = ["echo", "fixed-rate", "fanout", "binary", "connect"];
const BIG_IDLE_TARGET = "split-1+1";

async function redisVersion(url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    return /redis_version:(\S+)/.exec(await client.info("server"))?.[1];
  } catch {
    return undefined;
  } finally {
    client.disconnect();
  }
}

/** The soft limit on open files, which every child inherits (scripts/bench.mjs raises it to the hard one). */
function fdLimit(): number {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const n = Number(line?.split(/\s+/)[3]);
    return Number.isFinite(n) ? n : Infinity;
  } catch {
    return Infinity;
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");

function describe(r: WorkloadResult): string {
  const parts = [`${r.target}: ${r.workload} ${r.unit === "KB/conn" ? r.value.toFixed(1) : fmt(r.value)} ${r.unit}`];
  if (r.memory) parts.push(`heap ${r.memory.heap.toFixed(1)} KB/conn (${r.memory.from} → ${r.memory.to} connections)`);
  if (r.latency) parts.push(`p50 ${r.latency.p50.toFixed(2)} ms, p99 ${r.latency.p99.toFixed(2)} ms`);
  if (r.cpu) parts.push(`${r.cpu.total.toFixed(1)} µs CPU/op`);
  if (r.notes.length) parts.push(r.notes.join("; "));
  return parts.join(", ");
}

/** One target's load workloads on fresh processes: warm-up (unmeasured), then each measured. */
async function runLoad(target: Target, launch: LaunchOptions, clients: Clients, cfg: BenchConfig, run: number, out: WorkloadResult[]): Promise<void> {
  const measure = (w: WorkloadId) => cfg.workloads.includes(w);
  const running = await startTarget(target, launch);
  const ctx: WorkloadContext = { target: running, clients, meter: new CpuMeter(running, cfg.redisPid, () => clients.pids()), cfg, run };
  const json = { type: "json", bytes: cfg.echoPayloadBytes } as const;
  const binary = { type: "binary", bytes: cfg.binaryBytes } as const;
  const push = (r: WorkloadResult) => {
    out.push(r);
    progress(describe(r));
  };
  try {
    // warm-up: the same paths, smaller, unmeasured (fresh processes compile everything on first use)
    await connect(ctx, cfg.clients, 2);
    await echo(ctx, "echo", json, cfg.warmupRounds);
    if (measure("fixed-rate")) await fixedRate(ctx, 300);
    if (measure("fanout")) await fanout(ctx, 50, 1_000);
    if (measure("binary")) await echo(ctx, "binary", binary, 3);
    await disconnect(ctx);

    const c = await connect(ctx, cfg.clients, measure("connect") ? cfg.connectRounds : 1);
    if (measure("connect")) push(c);
    if (c.count === 0) throw new Error(`no client could connect${c.notes.length ? `: ${c.notes.join("; ")}` : ""}`);
    if (measure("echo")) push(await echo(ctx, "echo", json, cfg.echoRounds));
    if (measure("fixed-rate")) push(await fixedRate(ctx, cfg.fixedRateMs));
    if (measure("fanout")) push(await fanout(ctx, cfg.fanoutMessages, cfg.fanoutMaxMs));
    if (measure("binary")) push(await echo(ctx, "binary", binary, cfg.binaryRounds));
  } finally {
    await disconnect(ctx).catch(() => undefined);
    await running.close();
  }
}

/** (e) idle connections on fresh processes of the target. */
async function runIdle(target: Target, launch: LaunchOptions, clients: Clients, workload: WorkloadId, count: number, run: number): Promise<WorkloadResult> {
  const running = await startTarget(target, launch);
  try {
    const perWorker = Math.min(10_000, fdLimit() - 200);
    // the warm-up is at most count / 5: the memory it frees is reused by the connections opened before
    // the first measurement point, not by those between the two points (which would hide their cost)
    const r = await idle(running, clients, { count, perWorker, warmup: Math.min(200, Math.floor(count / 5)), run, workload });
    progress(describe(r));
    return r;
  } finally {
    await running.close();
  }
}

/** The client process compiles its connection code on first use: warm it up on plain Socket.IO first. */
async function warmUpClients(launch: LaunchOptions, clients: Clients, cfg: BenchConfig): Promise<void> {
  if (cfg.warmupConnectRounds === 0 || !cfg.workloads.some((w) => LOAD.includes(w))) return;
  progress(`warm-up: ${cfg.warmupConnectRounds} × ${cfg.clients} connections on ${BASELINE}, unmeasured`);
  const running = await startTarget(TARGETS.find((t) => t.id === BASELINE)!, launch);
  try {
    const ctx: WorkloadContext = { target: running, clients, meter: new CpuMeter(running, undefined, () => []), cfg, run: -1 };
    await connect(ctx, cfg.clients, cfg.warmupConnectRounds);
    await echo(ctx, "echo", { type: "json", bytes: cfg.echoPayloadBytes }, cfg.warmupRounds);
  } finally {
    await disconnect({ clients, target: running }).catch(() => undefined);
    await running.close();
  }
}

async function main(): Promise<number> {
  const cfg = parseConfig(process.argv.slice(2), process.env, join(root, "bench", "results", "latest.json"));
  const profiles = join(root, "bench", "results", "profiles");
  if (cfg.cpuProf) {
    mkdirSync(profiles, { recursive: true });
    // profiles are big and local: never committed
    writeFileSync(join(profiles, ".gitignore"), "*\n");
    progress(`CPU profiles of every server process go to ${profiles}/<target>-<role>-<i>/ (summary: node --import tsx bench/profile.ts DIR)`);
  }
  const launch: LaunchOptions = {
    root,
    library: cfg.fromSrc ? "src" : "dist",
    redisUrl: cfg.redisUrl,
    profileDir: cfg.cpuProf ? (t, role, i) => join(profiles, `${t}-${role}-${i}`) : undefined,
  };
  const limit = fdLimit();
  const system = systemInfo(launch.library, cfg.redisUrl ? await redisVersion(cfg.redisUrl) : undefined, limit);
  const targets = TARGETS.filter((t) => cfg.targets.includes(t.id));
  const runnable = targets.filter((t) => {
    if (t.needsRedis && !cfg.redisUrl) progress(`${t.id}: skipped (no Redis: set SOCKET_IO_CLUSTER_BENCH_REDIS_URL or use npm run bench)`);
    return !t.needsRedis || cfg.redisUrl;
  });
  if (cfg.redisUrl && !cfg.redisPid) progress("no SOCKET_IO_CLUSTER_BENCH_REDIS_PID: redis-server's CPU is not counted");
  const failures: Array<{ target: string; workload: WorkloadId; error: string }> = [];
  const results: WorkloadResult[] = [];
  const fail = (target: string, workloads: WorkloadId[], err: unknown) => {
    const error = (err as Error).message;
    progress(`${target}: FAILED: ${(err as Error).stack}`);
    for (const workload of workloads) {
      if (!results.some((r) => r.target === target && r.workload === workload)) failures.push({ target, workload, error });
    }
  };
  const clients = new Clients(root);
  const started = Date.now();
  try {
    await warmUpClients(launch, clients, cfg);
    for (let run = 0; run < cfg.runs; run++) {
      // rotated order: no target always runs first (cold machine) or last
      const order = runnable.map((_, i) => runnable[(i + run) % runnable.length]);
      for (const target of order) {
        const load = cfg.workloads.filter((w) => LOAD.includes(w));
        if (load.length === 0 && !cfg.workloads.includes("idle")) continue;
        progress(`${target.id}${cfg.runs > 1 ? ` (run ${run + 1}/${cfg.runs})` : ""}: ${target.label}`);
        if (load.length > 0) await runLoad(target, launch, clients, cfg, run, results).catch((err) => fail(target.id, load, err));
        if (cfg.workloads.includes("idle")) {
          await runIdle(target, launch, clients, "idle", cfg.idleConnections, run).then(
            (r) => results.push(r),
            (err) => fail(target.id, ["idle"], err),
          );
        }
      }
    }
    const big = runnable.find((t) => t.id === BIG_IDLE_TARGET);
    if (big && cfg.workloads.includes("idle-20k")) {
      // one io-node holds every connection: it needs one descriptor each, plus its own few
      const count = Math.min(cfg.bigIdleConnections, limit - 100);
      progress(`${big.id}: ${count} idle connections on one io-node${count < cfg.bigIdleConnections ? ` (open-files limit ${limit})` : ""}`);
      await runIdle(big, launch, clients, "idle-20k", count, 0).then(
        (r) => {
          if (count < cfg.bigIdleConnections) r.notes.push(`${count} of ${cfg.bigIdleConnections}: open-files limit ${limit} (ulimit -Hn)`);
          results.push(r);
        },
        (err) => fail(big.id, ["idle-20k"], err),
      );
    }
  } finally {
    await clients.close();
  }
  const { redisUrl: _u, redisPid: _p, out, ...config } = cfg;
  const report: Report = { system: { ...system, seconds: Math.round((Date.now() - started) / 1000) }, config, rows: buildRows(results, failures, runnable, cfg.workloads) };
  progress(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const markdown = formatReport(report);
  console.log("\n" + markdown);
  if (out) {
    writeReport(out, report, markdown);
    progress(`results written to ${out} and ${out.replace(/\.json$/, "")}.md`);
  }
  return failures.length > 0 ? 1 : 0;
}

// no child outlives the bench: not on an error, not on a signal
process.on("exit", killAllChildren);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    progress(`${signal}: stopping every child process`);
    killAllChildren();
    process.exit(130);
  });
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
    console.error(err instanceof ConfigError ? `[bench] ${err.message}` : err);
    killAllChildren();
    process.exit(err instanceof ConfigError ? 2 : 1);
  },
);
