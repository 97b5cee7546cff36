/**
 * The report: the machine, the sizes, and one row per workload × target with the medians over the
 * runs, the ratios to plain socket.io and to the redis-adapter (each run against the same run's
 * figure, then the median), CPU per operation with its split by role, and the marginal memory per
 * idle connection (RSS and heap, with their split by role); as padded Markdown tables (printed, and
 * written beside the JSON: one for the load workloads, one for memory) and as JSON.
 */
import { cpus, loadavg, platform, release } from "os";
import { readFileSync, mkdirSync, writeFileSync } from "fs";
import { dirname } from "path";
import type { BenchConfig, WorkloadId } from "./config";
import type { CpuRole } from "./cpu";
import type { NodeRole } from "./protocol";
import type { WorkloadResult } from "./results";
import { median } from "./stats";
import { ADAPTER, BASELINE, Target } from "./targets";

export interface SystemInfo {
  date: string;
  node: string;
  cpu: string;
  cores: number;
  os: string;
  /** 1-minute load average when the bench started: other work on the machine. */
  loadStart: number;
  loadEnd?: number;
  redis?: string;
  library: "dist" | "src";
  openFilesLimit: number;
  seconds?: number;
}

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    if (line) return line.slice(line.indexOf(":") + 1).trim();
  } catch {
    // not Linux: os.cpus() below
  }
  return cpus()[0]?.model.trim() ?? "unknown";
}

export function systemInfo(library: "dist" | "src", redis: string | undefined, openFilesLimit: number): SystemInfo {
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpuModel(),
    cores: cpus().length,
    os: `${platform()} ${release()}`,
    loadStart: round(loadavg()[0], 2),
    redis,
    library,
    openFilesLimit,
  };
}

type Roles<R extends string> = Partial<Record<R, number>>;

export interface Row {
  workload: WorkloadId;
  target: string;
  label: string;
  unit: string;
  /** Median over the runs. */
  value: number;
  /** (max − min) ÷ median of the runs' values (0 with one run). */
  spread: number;
  /** value ÷ the same run's value of plain socket.io / of the redis-adapter, median over the runs. */
  vsPlain: number;
  vsAdapter: number;
  p50Ms?: number;
  p99Ms?: number;
  /** p99 − the same run's p99 of plain socket.io / the redis-adapter, ms, median over the runs. */
  p99DeltaPlain?: number;
  p99DeltaAdapter?: number;
  /** µs of CPU per operation, servers + Redis; its split by role; the same ratios as `value`. */
  cpuUs?: number;
  cpuByRole?: Roles<CpuRole>;
  cpuVsPlain?: number;
  cpuVsAdapter?: number;
  clientCpuUs?: number;
  /** Idle connections: KB of RSS per connection by role (the total is `value`). */
  memoryByRole?: Roles<NodeRole>;
  /** Idle connections: KB of heapUsed per connection, its spread, ratios and split by role, like `value`. */
  heapKb?: number;
  heapSpread?: number;
  heapVsPlain?: number;
  heapVsAdapter?: number;
  heapByRole?: Roles<NodeRole>;
  count: number;
  notes: string[];
  runs: WorkloadResult[];
  error?: string;
}

export interface Report {
  system: SystemInfo;
  config: Omit<BenchConfig, "redisUrl" | "redisPid" | "out">;
  rows: Row[];
}

const NOISY_SPREAD = 0.25;
const ORDER: WorkloadId[] = ["echo", "fixed-rate", "fanout", "binary", "idle", "idle-20k", "connect"];
const TITLES: Record<WorkloadId, string> = {
  echo: "(a) echo",
  "fixed-rate": "(b) fixed-rate echo",
  fanout: "(c) room fan-out",
  binary: "(d) 64 KiB binary echo",
  idle: "(e) idle connections",
  "idle-20k": "(e) idle, one io-node",
  connect: "(f) connect",
};
const ROLE_SHORT: Record<CpuRole, string> = { "io-node": "io", "app-node": "app", server: "server", redis: "redis" };

function round(n: number, digits: number): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function medianRoles<R extends string>(maps: Array<Roles<R> | undefined>, digits: number): Roles<R> | undefined {
  const present = maps.filter((m): m is Roles<R> => m !== undefined);
  if (present.length === 0) return undefined;
  const out: Roles<R> = {};
  for (const role of new Set(present.flatMap((m) => Object.keys(m) as R[]))) out[role] = round(median(present.map((m) => m[role] ?? NaN)), digits);
  return out;
}

/** (max − min) ÷ median of the runs' values (0 with one run). */
function spread(values: number[], med: number): number {
  return values.length > 1 ? round((Math.max(...values) - Math.min(...values)) / med, 3) : 0;
}

/** Median over the runs of f(run, the reference target's result of the same run). */
function against(runs: WorkloadResult[], ref: WorkloadResult[], f: (r: WorkloadResult, base: WorkloadResult) => number | undefined): number {
  const byRun = new Map(ref.map((r) => [r.run, r]));
  return median(runs.filter((r) => byRun.has(r.run)).map((r) => f(r, byRun.get(r.run)!) ?? NaN));
}

export function buildRows(
  results: WorkloadResult[],
  failures: Array<{ target: string; workload: WorkloadId; error: string }>,
  targets: Target[],
  workloads: WorkloadId[],
): Row[] {
  const rows: Row[] = [];
  for (const workload of ORDER.filter((w) => workloads.includes(w))) {
    const of = (id: string) => results.filter((r) => r.workload === workload && r.target === id);
    const plain = of(BASELINE);
    const adapter = of(ADAPTER);
    for (const t of targets) {
      const runs = of(t.id);
      const failure = failures.find((f) => f.target === t.id && f.workload === workload);
      if (runs.length === 0 && !failure) continue;
      const value = median(runs.map((r) => r.value));
      const values = runs.map((r) => r.value);
      const hasMemory = runs.some((r) => r.memory);
      const heaps = runs.map((r) => r.memory?.heap ?? NaN);
      const heap = median(heaps);
      const hasLatency = runs.some((r) => r.latency);
      const hasCpu = runs.some((r) => r.cpu);
      const ratio = (a?: number, b?: number) => (a !== undefined && b !== undefined ? a / b : undefined);
      const p99Delta = (r: WorkloadResult, b: WorkloadResult) =>
        r.latency && b.latency ? r.latency.p99 - b.latency.p99 : undefined;
      rows.push({
        workload,
        target: t.id,
        label: t.label,
        unit: runs[0]?.unit ?? "",
        value: round(value, 2),
        spread: spread(values, value),
        vsPlain: round(against(runs, plain, (r, b) => r.value / b.value), 3),
        vsAdapter: round(against(runs, adapter, (r, b) => r.value / b.value), 3),
        p50Ms: hasLatency ? round(median(runs.map((r) => r.latency?.p50 ?? NaN)), 3) : undefined,
        p99Ms: hasLatency ? round(median(runs.map((r) => r.latency?.p99 ?? NaN)), 3) : undefined,
        p99DeltaPlain: hasLatency ? round(against(runs, plain, p99Delta), 3) : undefined,
        p99DeltaAdapter: hasLatency ? round(against(runs, adapter, p99Delta), 3) : undefined,
        cpuUs: hasCpu ? round(median(runs.map((r) => r.cpu?.total ?? NaN)), 2) : undefined,
        cpuByRole: medianRoles(runs.map((r) => r.cpu?.byRole), 2),
        cpuVsPlain: hasCpu ? round(against(runs, plain, (r, b) => ratio(r.cpu?.total, b.cpu?.total)), 3) : undefined,
        cpuVsAdapter: hasCpu ? round(against(runs, adapter, (r, b) => ratio(r.cpu?.total, b.cpu?.total)), 3) : undefined,
        clientCpuUs: hasCpu ? round(median(runs.map((r) => r.cpu?.clients ?? NaN)), 2) : undefined,
        memoryByRole: medianRoles(runs.map((r) => r.memory?.rss), 2),
        heapKb: hasMemory ? round(heap, 2) : undefined,
        heapSpread: hasMemory ? spread(heaps, heap) : undefined,
        heapVsPlain: hasMemory ? round(against(runs, plain, (r, b) => ratio(r.memory?.heap, b.memory?.heap)), 3) : undefined,
        heapVsAdapter: hasMemory ? round(against(runs, adapter, (r, b) => ratio(r.memory?.heap, b.memory?.heap)), 3) : undefined,
        heapByRole: medianRoles(runs.map((r) => r.memory?.heapByRole), 2),
        count: Math.round(median(runs.map((r) => r.count))),
        notes: [...new Set(runs.flatMap((r) => r.notes))],
        runs,
        error: failure?.error,
      });
    }
  }
  return rows;
}

const dash = "–";
function fmtNum(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return dash;
  return n >= 100 ? Math.round(n).toLocaleString("en-US") : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}
function fmtCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
function fmtRatio(n: number | undefined): string {
  return n !== undefined && Number.isFinite(n) ? `${n.toFixed(2)}×` : dash;
}
function fmtDelta(n: number | undefined): string {
  return n !== undefined && Number.isFinite(n) ? `p99 ${n >= 0 ? "+" : "−"}${Math.abs(n).toFixed(2)} ms` : dash;
}
function fmtRoles(m: Roles<CpuRole> | undefined): string {
  if (!m) return dash;
  const order: CpuRole[] = ["io-node", "app-node", "server", "redis"];
  return order.filter((r) => m[r] !== undefined).map((r) => `${ROLE_SHORT[r]} ${fmtNum(m[r])}`).join(" · ");
}

/** Markdown with padded columns; numbers right-aligned. */
function table(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(" | ") + " |";
  const rule = "|" + widths.map((w, i) => (right[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") + "|";
  return [line(header), rule, ...rows.map(line)].join("\n");
}

export function formatReport(report: Report): string {
  const s = report.system;
  const c = report.config;
  const failed = (r: Row) => r.error !== undefined && r.runs.length === 0;
  const runsSpread = (r: Row, spread: number | undefined) => (r.runs.length < 2 || spread === undefined ? dash : `${Math.round(spread * 100)}%`);
  const notes = (r: Row) => [...(r.error ? [`FAILED: ${r.error}`] : []), ...r.notes].join("; ");
  // memory rows have none of the load columns (latency, CPU) and two figures of their own: their own table
  const isMemory = (r: Row) => r.workload === "idle" || r.workload === "idle-20k";
  const header = ["workload", "target", "value", "runs ±", `vs ${BASELINE}`, `vs ${ADAPTER}`, "p50 ms", "p99 ms", "CPU µs/op", `CPU vs ${BASELINE}`, `CPU vs ${ADAPTER}`, "CPU by role (µs/op)", "client µs/op", "notes"];
  const rows = report.rows.filter((r) => !isMemory(r)).map((r) => {
    const latencyOnly = r.workload === "fixed-rate";
    const cells = [
      `${TITLES[r.workload]} (${r.unit || "?"})`,
      r.target,
      failed(r) ? "failed" : fmtNum(r.value),
      runsSpread(r, r.spread),
      latencyOnly ? fmtDelta(r.p99DeltaPlain) : fmtRatio(r.vsPlain),
      latencyOnly ? fmtDelta(r.p99DeltaAdapter) : fmtRatio(r.vsAdapter),
      fmtNum(r.p50Ms),
      fmtNum(r.p99Ms),
      fmtNum(r.cpuUs),
      fmtRatio(r.cpuVsPlain),
      fmtRatio(r.cpuVsAdapter),
      fmtRoles(r.cpuByRole),
      fmtNum(r.clientCpuUs),
      notes(r),
    ];
    return cells;
  });
  const memoryHeader = ["workload", "target", "RSS KB/conn", "runs ±", `RSS vs ${BASELINE}`, `RSS vs ${ADAPTER}`, "heap KB/conn", "runs ±", `heap vs ${BASELINE}`, `heap vs ${ADAPTER}`, "RSS by role", "heap by role", "connections", "notes"];
  const memoryRows = report.rows.filter(isMemory).map((r) => {
    const from = median(r.runs.map((run) => run.memory?.from ?? NaN));
    return [
      TITLES[r.workload],
      r.target,
      failed(r) ? "failed" : fmtNum(r.value),
      runsSpread(r, r.spread),
      fmtRatio(r.vsPlain),
      fmtRatio(r.vsAdapter),
      failed(r) ? "failed" : fmtNum(r.heapKb),
      runsSpread(r, r.heapSpread),
      fmtRatio(r.heapVsPlain),
      fmtRatio(r.heapVsAdapter),
      fmtRoles(r.memoryByRole),
      fmtRoles(r.heapByRole),
      Number.isFinite(from) ? `${fmtCount(from)} → ${fmtCount(r.count)}` : dash,
      notes(r),
    ];
  });
  const targets = [...new Map(report.rows.map((r) => [r.target, r.label])).entries()];
  const noisy = report.rows.filter((r) => r.runs.length > 1 && r.spread > NOISY_SPREAD).length;
  return [
    `socket.io-cluster bench, ${s.date.slice(0, 16).replace("T", " ")} UTC, ${s.seconds ?? "?"} s: ${s.cpu} × ${s.cores} cores, ${s.os}; ` +
      `Node ${s.node}${s.redis ? `, Redis ${s.redis}` : ""}; load average at start ${s.loadStart}; socket.io-cluster from ${s.library}/; open-files limit ${s.openFilesLimit}`,
    "",
    `Every node its own process; ${c.clients} socket.io-client websocket clients in a separate process; ` +
      `${c.runs > 1 ? `median of ${c.runs} runs per target in rotated order; ` : "1 run; "}` +
      `(a) ${c.echoRounds} round trips per client (cap ${c.echoMaxMs} ms); (b) ${c.fixedRate}/s for ${c.fixedRateMs} ms; ` +
      `(c) ${c.fanoutMessages} broadcasts to a room of every client, ${c.fanoutBatch} per batch, ${c.fanoutWindow} in flight (cap ${c.fanoutMaxMs} ms); ` +
      `(d) ${c.binaryRounds} × ${c.binaryBytes} B per client (cap ${c.binaryMaxMs} ms); (e) ${c.idleConnections} idle websockets, and ${c.bigIdleConnections} on one io-node; ` +
      `(f) ${c.connectRounds} rounds of all clients at once.`,
    "",
    ...(rows.length > 0 ? [table(header, rows, [false, false, true, true, true, true, true, true, true, true, true, false, true, false]), ""] : []),
    ...(memoryRows.length > 0
      ? [table(memoryHeader, memoryRows, [false, false, true, true, true, true, true, true, true, true, false, false, true, false]), ""]
      : []),
    ...targets.map(([id, label]) => `- \`${id}\`: ${label}`),
    "- value: (a, b, d) round trips/s, (c) deliveries/s, (f) connections/s.",
    "- (e) memory: the marginal cost of an idle connection, (memory with all the connections − memory with a fifth of them) ÷ the connections in between, " +
      "each taken after a full GC, summed over the target's server processes (lower is better); RSS (everything the processes hold, less V8's young generation: " +
      "empty after the GC, it grows once per process with the allocation rate) and heapUsed (the JS heap only, less noisy); " +
      "by role: summed over the processes of each role (io-nodes, app-nodes, server = a process that is both or plain Socket.IO).",
    `- vs ${BASELINE} / vs ${ADAPTER}: value ÷ that target's value in the same run, median over the runs; for (b), the p99 difference instead.`,
    "- CPU µs/op: CPU time of every server process (process.cpuUsage) and of redis-server (/proc schedstat) per operation; " +
      "by role: its split (io-node, app-node, server = a process that is both or plain Socket.IO, redis), medians per role; " +
      "client µs/op: the client processes, not in the total. (c) counts CPU per delivery.",
    ...(noisy > 0 ? [`- **${noisy} of ${report.rows.length} figures are noisy** (runs ± above ${NOISY_SPREAD * 100}%): other work on the machine; run again on a quiet one.`] : []),
  ].join("\n");
}

export function writeReport(jsonPath: string, report: Report, markdown: string): void {
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(report, null, 2) + "\n");
  writeFileSync(jsonPath.replace(/\.json$/, "") + ".md", markdown + "\n");
}
