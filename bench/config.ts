/**
 * Bench sizes and choices, from flags (`--clients 100` or `--clients=100`) or the environment
 * (`BENCH_CLIENTS=100`); flags win. `--quick` picks smaller defaults for a ~1.5 min smoke run.
 */
import { TARGETS } from "./targets";

export const WORKLOADS = ["echo", "fixed-rate", "fanout", "binary", "idle", "idle-20k", "connect"] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

export interface BenchConfig {
  quick: boolean;
  /** Load clients (socket.io-client) per target. */
  clients: number;
  /** (f) connect: rounds of connecting every client at once (the last round's clients stay). */
  connectRounds: number;
  /** (a) echo: round trips per client, time cap, bytes of padding per payload. */
  echoRounds: number;
  echoMaxMs: number;
  echoPayloadBytes: number;
  /** (b) fixed-rate echo: round trips per second in total, and for how long. */
  fixedRate: number;
  fixedRateMs: number;
  /** (c) fan-out: messages in total, per batch (one IPC request, emitted in one tick), batches in flight, time cap. */
  fanoutMessages: number;
  fanoutBatch: number;
  fanoutWindow: number;
  fanoutMaxMs: number;
  /** (d) binary echo: buffer size, round trips per client, time cap. */
  binaryBytes: number;
  binaryRounds: number;
  binaryMaxMs: number;
  /** (e) idle connections per target, and the big run on one io-node (split 1+1). */
  idleConnections: number;
  bigIdleConnections: number;
  /** Client-process warm-up on plain socket.io before anything is measured: connection rounds. */
  warmupConnectRounds: number;
  /** Per target, unmeasured: echo round trips per client (and a little of every other workload). */
  warmupRounds: number;
  /** Runs of every target, in rotated order; the report shows the median. */
  runs: number;
  targets: string[];
  workloads: WorkloadId[];
  /** Where the JSON results go ("" for nowhere); the Markdown goes beside it (.md). */
  out: string;
  /** Load socket.io-cluster from src/ (through tsx) instead of dist/: for profiles that name src files. */
  fromSrc: boolean;
  /** Profile every server process (node --cpu-prof), one directory per target, role and index. */
  cpuProf: boolean;
  redisUrl?: string;
  redisPid?: number;
}

const HELP = `usage: npm run bench -- [options]      (or: node --import tsx bench/main.ts [options])

  --quick                  smaller sizes, 1 run (~1.5 min)
  --runs N                 runs per target, rotated order, median reported (5; quick 1)  [BENCH_RUNS]
  --targets a,b            among: ${TARGETS.map((t) => t.id).join(", ")}   [BENCH_TARGETS]
  --workloads a,b          among: ${WORKLOADS.join(", ")}   [BENCH_WORKLOADS]
  --clients N              load clients per target (100; quick 50)  [BENCH_CLIENTS]
  --connect-rounds N       (f) rounds of all clients at once        [BENCH_CONNECT_ROUNDS]
  --echo-rounds N          (a) round trips per client               [BENCH_ECHO_ROUNDS]
  --echo-max-ms MS         (a) time cap                             [BENCH_ECHO_MAX_MS]
  --echo-payload BYTES     (a, b) padding of each payload           [BENCH_ECHO_PAYLOAD]
  --fixed-rate N           (b) round trips/s in total (1000)        [BENCH_FIXED_RATE]
  --fixed-rate-ms MS       (b) duration                             [BENCH_FIXED_RATE_MS]
  --fanout-messages N      (c) broadcasts                           [BENCH_FANOUT_MESSAGES]
  --fanout-batch N         (c) broadcasts per batch                 [BENCH_FANOUT_BATCH]
  --fanout-window N        (c) batches in flight                    [BENCH_FANOUT_WINDOW]
  --fanout-max-ms MS       (c) time cap                             [BENCH_FANOUT_MAX_MS]
  --binary-bytes N         (d) buffer size (65536)                  [BENCH_BINARY_BYTES]
  --binary-rounds N        (d) round trips per client               [BENCH_BINARY_ROUNDS]
  --binary-max-ms MS       (d) time cap                             [BENCH_BINARY_MAX_MS]
  --idle-connections N     (e) idle websockets per target (5000)    [BENCH_IDLE_CONNECTIONS]
  --big-idle-connections N (e) idle websockets on one io-node, split-1+1 (20000) [BENCH_BIG_IDLE_CONNECTIONS]
  --warmup-connect-rounds N  client warm-up on socket.io            [BENCH_WARMUP_CONNECT_ROUNDS]
  --warmup-rounds N        per-target warm-up echo round trips      [BENCH_WARMUP_ROUNDS]
  --out FILE               JSON results ("" for none; default bench/results/latest.json, .md beside it) [BENCH_OUT]
  --from-src               load socket.io-cluster from src/ instead of dist/   [BENCH_FROM_SRC=1]
  --cpu-prof               profile every server process: bench/results/profiles/<target>-<role>-<i>/
Redis targets need SOCKET_IO_CLUSTER_BENCH_REDIS_URL (npm run bench starts a private redis-server and
passes its pid in SOCKET_IO_CLUSTER_BENCH_REDIS_PID, for its CPU time).`;

/** A mistake in the options: reported without a stack trace. */
export class ConfigError extends Error {}

const SWITCHES = new Set(["--quick", "--from-src", "--cpu-prof"]);
const ALIASES: Record<string, string> = { "--repeat": "--runs" };

function flagName(env: string): string {
  return "--" + env.replace(/^BENCH_/, "").toLowerCase().replace(/_/g, "-");
}

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv, defaultOut: string): BenchConfig {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") continue;
    if (arg === "-h" || arg === "--help") {
      console.log(HELP);
      process.exit(0);
    }
    const eq = arg.indexOf("=");
    const raw = eq > 0 ? arg.slice(0, eq) : arg;
    const name = ALIASES[raw] ?? raw;
    if (!name.startsWith("--")) throw new ConfigError(`unexpected argument "${arg}" (--help lists the options)`);
    if (eq > 0) flags.set(name, arg.slice(eq + 1));
    else if (SWITCHES.has(name)) flags.set(name, "1");
    else if (i + 1 < argv.length) flags.set(name, argv[++i]);
    else throw new ConfigError(`${arg} needs a value`);
  }
  const used = new Set<string>();
  const str = (envName: string): string | undefined => {
    const flag = flagName(envName);
    used.add(flag);
    return flags.get(flag) ?? env[envName];
  };
  const quick = str("BENCH_QUICK") === "1";
  const num = (envName: string, full: number, small = full): number => {
    const raw = str(envName);
    if (raw === undefined || raw === "") return quick ? small : full;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${flagName(envName)} must be a whole number, got "${raw}"`);
    return n;
  };
  const list = (envName: string, all: readonly string[]): string[] => {
    const raw = str(envName);
    if (!raw) return [...all];
    const items = raw.split(",").map((s) => s.trim()).filter(Boolean);
    for (const item of items) if (!all.includes(item)) throw new ConfigError(`unknown ${flagName(envName).slice(2)} "${item}"; among: ${all.join(", ")}`);
    return items;
  };
  const config: BenchConfig = {
    quick,
    clients: num("BENCH_CLIENTS", 100, 50),
    connectRounds: Math.max(1, num("BENCH_CONNECT_ROUNDS", 5, 3)),
    echoRounds: num("BENCH_ECHO_ROUNDS", 500, 100),
    echoMaxMs: num("BENCH_ECHO_MAX_MS", 4_000, 1_500),
    echoPayloadBytes: num("BENCH_ECHO_PAYLOAD", 32),
    fixedRate: num("BENCH_FIXED_RATE", 1_000),
    fixedRateMs: num("BENCH_FIXED_RATE_MS", 3_000, 1_500),
    fanoutMessages: num("BENCH_FANOUT_MESSAGES", 1_000, 300),
    fanoutBatch: Math.max(1, num("BENCH_FANOUT_BATCH", 5)),
    fanoutWindow: Math.max(1, num("BENCH_FANOUT_WINDOW", 2)),
    fanoutMaxMs: num("BENCH_FANOUT_MAX_MS", 4_000, 1_500),
    binaryBytes: num("BENCH_BINARY_BYTES", 65_536),
    binaryRounds: num("BENCH_BINARY_ROUNDS", 40, 15),
    binaryMaxMs: num("BENCH_BINARY_MAX_MS", 3_000, 1_500),
    idleConnections: num("BENCH_IDLE_CONNECTIONS", 5_000, 1_000),
    bigIdleConnections: num("BENCH_BIG_IDLE_CONNECTIONS", 20_000, 2_000),
    warmupConnectRounds: num("BENCH_WARMUP_CONNECT_ROUNDS", 10, 3),
    warmupRounds: num("BENCH_WARMUP_ROUNDS", 50, 20),
    runs: Math.max(1, num("BENCH_RUNS", 5, 1)),
    targets: list("BENCH_TARGETS", TARGETS.map((t) => t.id)),
    workloads: list("BENCH_WORKLOADS", WORKLOADS) as WorkloadId[],
    out: str("BENCH_OUT") ?? defaultOut,
    fromSrc: str("BENCH_FROM_SRC") === "1",
    cpuProf: str("BENCH_CPU_PROF") === "1",
    redisUrl: env.SOCKET_IO_CLUSTER_BENCH_REDIS_URL || undefined,
    redisPid: Number(env.SOCKET_IO_CLUSTER_BENCH_REDIS_PID) || undefined,
  };
  for (const flag of flags.keys()) if (!used.has(flag)) throw new ConfigError(`unknown option ${flag} (--help lists them)`);
  if (config.clients < 1) throw new ConfigError("--clients must be at least 1");
  return config;
}
