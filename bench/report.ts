/**
 * The report: the machine, the sizes, and one row per workload × target with its figures and its
 * ratio to plain Socket.IO; as a padded markdown table (readable in a terminal, pasteable into the
 * README) and as JSON.
 */
import { cpus, loadavg, platform, release } from "os";
import { mkdirSync, writeFileSync } from "fs";
import { dirname } from "path";
import type { BenchConfig, WorkloadId } from "./config";
import { LatencySummary, median } from "./stats";
import type { WorkloadResult } from "./workloads";

export interface SystemInfo {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  os: string;
  /** 1-minute load average when the bench started and when it ended: other work on the machine. */
  loadStart: number;
  loadEnd?: number;
  redis?: string;
  library: "dist" | "src";
}

export function systemInfo(library: "dist" | "src", redis?: string): SystemInfo {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: c[0]?.model.trim() ?? "unknown",
    cores: c.length,
    os: `${platform()} ${release()}`,
    loadStart: round(loadavg()[0], 2),
    redis,
    library,
  };
}

export interface Row {
  workload: WorkloadId;
  target: string;
  label: string;
  unit: string;
  /** Medians over the runs. */
  rate: number;
  /**
   * rate ÷ the baseline's rate for the same workload (higher is better): the median of the runs'
   * ratios, each run against the baseline's figure of the same run, so a machine that slows down for
   * a while (other work on it) weighs on both sides of a ratio.
   */
  ratio: number;
  /** (max − min) ÷ median of the runs' rates: how noisy the figure is (0 with one run). */
  spread: number;
  p50Ms: number;
  p99Ms: number;
  /** µs of CPU per operation: the server process, and redis-server for targets that use it. */
  serverCpuUs: number;
  redisCpuUs?: number;
  count: number;
  notes: string[];
  runs: Array<{
    run: number;
    rate: number;
    count: number;
    elapsedMs: number;
    latency: LatencySummary;
    serverCpuUs: number;
    redisCpuUs?: number;
    notes: string[];
  }>;
  error?: string;
}

export interface Report {
  system: SystemInfo;
  config: Omit<BenchConfig, "redisUrl" | "out">;
  baseline: string;
  rows: Row[];
}

/** Above this spread of the runs' rates, a figure is reported as noisy. */
const NOISY_SPREAD = 0.25;

const ORDER: WorkloadId[] = ["echo", "broadcast", "connect"];
const TITLES: Record<WorkloadId, string> = {
  echo: "(a) echo",
  broadcast: "(b) broadcast",
  connect: "(c) connect",
};

function round(n: number, digits: number): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Rows from every run's results; failures are rows with an error and no figures. */
export function buildRows(
  results: WorkloadResult[],
  failures: Array<{ target: string; workload: WorkloadId; error: string }>,
  targets: Array<{ id: string; label: string }>,
  workloads: WorkloadId[],
  baseline: string,
): Row[] {
  const rows: Row[] = [];
  for (const workload of ORDER.filter((w) => workloads.includes(w))) {
    const baseRuns = new Map(results.filter((r) => r.workload === workload && r.target === baseline).map((r) => [r.run, r.rate]));
    for (const t of targets) {
      const runs = results.filter((r) => r.workload === workload && r.target === t.id);
      const failure = failures.find((f) => f.target === t.id && f.workload === workload);
      if (runs.length === 0 && !failure) continue;
      const rate = median(runs.map((r) => r.rate));
      rows.push({
        workload,
        target: t.id,
        label: t.label,
        unit: runs[0]?.unit ?? "",
        rate: round(rate, 1),
        ratio: round(median(runs.filter((r) => baseRuns.has(r.run)).map((r) => r.rate / baseRuns.get(r.run)!)), 3),
        spread: runs.length > 1 ? round((Math.max(...runs.map((r) => r.rate)) - Math.min(...runs.map((r) => r.rate))) / rate, 3) : 0,
        p50Ms: round(median(runs.map((r) => r.latency.p50)), 3),
        p99Ms: round(median(runs.map((r) => r.latency.p99)), 3),
        serverCpuUs: round(median(runs.map((r) => r.serverCpuUs)), 2),
        redisCpuUs: runs.some((r) => r.redisCpuUs !== undefined) ? round(median(runs.map((r) => r.redisCpuUs ?? NaN)), 2) : undefined,
        count: Math.round(median(runs.map((r) => r.count))),
        notes: [...new Set(runs.flatMap((r) => r.notes))],
        runs: runs.map((r) => ({
          run: r.run,
          rate: round(r.rate, 1),
          count: r.count,
          elapsedMs: round(r.elapsedMs, 1),
          latency: roundLatency(r.latency),
          serverCpuUs: round(r.serverCpuUs, 2),
          redisCpuUs: r.redisCpuUs === undefined ? undefined : round(r.redisCpuUs, 2),
          notes: r.notes,
        })),
        error: failure?.error,
      });
    }
  }
  return rows;
}

function roundLatency(l: LatencySummary): LatencySummary {
  return { count: l.count, mean: round(l.mean, 3), p50: round(l.p50, 3), p90: round(l.p90, 3), p99: round(l.p99, 3), max: round(l.max, 3) };
}

function fmtRate(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–";
}

function fmtMs(n: number): string {
  if (!Number.isFinite(n)) return "–";
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0);
}

function fmtUs(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  return n < 10 ? n.toFixed(1) : n.toFixed(0);
}

function fmtRatio(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : "–";
}

/** Markdown with padded columns; numbers right-aligned. */
function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (right[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

export function formatReport(report: Report): string {
  const s = report.system;
  const c = report.config;
  const baseLabel = report.rows.find((r) => r.target === report.baseline)?.target ?? report.baseline;
  const header = ["workload", "target", "rate", "runs ±", `vs ${baseLabel}`, "p50 ms", "p99 ms", "server µs/op", "redis µs/op", "notes"];
  const rows = report.rows.map((r) => [
    `${TITLES[r.workload]} ${r.unit ? `(${r.unit})` : ""}`.trim(),
    r.target,
    r.error ? "failed" : fmtRate(r.rate),
    r.error || r.runs.length < 2 ? "–" : `${Math.round(r.spread * 100)}%`,
    r.error ? "–" : fmtRatio(r.ratio),
    r.error ? "–" : fmtMs(r.p50Ms),
    r.error ? "–" : fmtMs(r.p99Ms),
    r.error ? "–" : fmtUs(r.serverCpuUs),
    r.error ? "–" : fmtUs(r.redisCpuUs),
    (r.error ? [r.error, ...r.notes] : r.notes).join("; "),
  ]);
  const targets = [...new Map(report.rows.map((r) => [r.target, r.label])).entries()];
  const load = s.loadEnd === undefined ? `${s.loadStart}` : `${s.loadStart} → ${s.loadEnd}`;
  const noisy = report.rows.filter((r) => !r.error && r.runs.length > 1 && r.spread > NOISY_SPREAD).length;
  return [
    `socket.io-cluster bench, ${s.date.slice(0, 19).replace("T", " ")} UTC: Node ${s.node}, ${s.cpu} × ${s.cores} cores, ${s.os}` +
      `${s.redis ? `, Redis ${s.redis}` : ""}; load average ${load}; socket.io-cluster from ${s.library}/`,
    `${c.clients} websocket clients in a separate process; connect: ${c.connectRounds} rounds of all clients at once; echo: ${c.echoRounds} round trips per client (cap ${c.echoMaxMs} ms); ` +
      `broadcast: ${c.broadcastMessages} messages to a room of every client, ${c.broadcastBatch} per tick, ` +
      `${c.broadcastWindow} batches in flight (cap ${c.broadcastMaxMs} ms); ` +
      `${c.repeat > 1 ? `median of ${c.repeat} runs per target (rotated order); ` : ""}` +
      `warm-up: ${c.warmupConnectRounds} × ${c.clients} connections and every workload once, unmeasured, on socket.io, then ${c.warmupClients} clients per target (2 connection rounds, ${c.warmupRounds} round trips, ${c.warmupMessages} messages).`,
    "",
    table(header, rows, [false, false, true, true, true, true, true, true, true, false]),
    "",
    ...targets.map(([id, label]) => `- \`${id}\`: ${label}`),
    `- rate: per second (median of the runs); runs ±: (max − min) ÷ median of the runs' rates; ` +
      `\`vs ${baseLabel}\`: rate ÷ plain socket.io's rate in the same run, median over the runs (higher is better).`,
    "- server µs/op: CPU time of the bench process (where every server of the target runs) per operation; " +
      "redis µs/op: CPU time of redis-server per operation (targets that use Redis). Lower is better; they tell " +
      "what an operation costs even where the client process, on the same cores, is what limits the rate.",
    ...(noisy > 0
      ? [
          `- **${noisy} of ${report.rows.length} figures are noisy** (runs ± above ${NOISY_SPREAD * 100}%): other work on the ` +
            "machine slowed some runs down; the medians and ratios hold up better than single runs, but run again on a quiet machine.",
        ]
      : []),
    "- latency: echo, emit to ack; broadcast, server emit to client receipt (under the load of the window); " +
      "connect, time until half / 99% of the clients (all started at once) were connected.",
  ].join("\n");
}

export function writeJson(path: string, report: Report): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(report, null, 2) + "\n");
}
