/**
 * Bench sizes and choices, from flags (`--clients 100` or `--clients=100`) or the environment
 * (`BENCH_CLIENTS=100`); flags win. `--quick` picks smaller defaults for a ~30 s run.
 */
import { TARGETS } from "./targets";

export const WORKLOADS = ["connect", "echo", "broadcast"] as const;
export type WorkloadId = (typeof WORKLOADS)[number];

export interface BenchConfig {
  quick: boolean;
  /** Clients connected per target (all workloads). */
  clients: number;
  /** (c) connect: rounds of connecting every client at once (the last round's clients stay). */
  connectRounds: number;
  /** (a) echo: round trips per client, and the time cap of the whole workload. */
  echoRounds: number;
  echoMaxMs: number;
  /** Bytes of padding in each echo payload. */
  echoPayloadBytes: number;
  /** (b) broadcast: messages in total, per batch (emitted in one tick), batches in flight, time cap. */
  broadcastMessages: number;
  broadcastBatch: number;
  broadcastWindow: number;
  broadcastMaxMs: number;
  /**
   * Warm-up before anything is measured, on plain Socket.IO: rounds of connecting every client
   * (connection setup needs a few thousand connections before its figures settle), then each workload once.
   */
  warmupConnectRounds: number;
  /** Warm-up per target: clients, echo round trips per client, broadcast messages. */
  warmupClients: number;
  warmupRounds: number;
  warmupMessages: number;
  /** Runs of every target, in rotated order; the report shows the median. */
  repeat: number;
  targets: string[];
  workloads: WorkloadId[];
  /** Where the JSON results go ("" for nowhere). */
  out: string;
  /** Load socket.io-cluster from src/ (through tsx) instead of dist/: for profiles that name src files. */
  fromSrc: boolean;
  redisUrl?: string;
}

const HELP = `usage: npm run bench -- [options]      (or: node --import tsx bench/main.ts [options])

  --quick                  smaller sizes (~30 s)
  --clients N              clients per target                       [BENCH_CLIENTS]
  --connect-rounds N       rounds of C connections at once          [BENCH_CONNECT_ROUNDS]
  --echo-rounds N          round trips per client                   [BENCH_ECHO_ROUNDS]
  --echo-max-ms MS         time cap of the echo workload            [BENCH_ECHO_MAX_MS]
  --echo-payload BYTES     padding of each echo payload             [BENCH_ECHO_PAYLOAD]
  --messages N             broadcast messages                       [BENCH_MESSAGES]
  --batch N                broadcast messages emitted per tick      [BENCH_BATCH]
  --window N               broadcast batches in flight              [BENCH_WINDOW]
  --broadcast-max-ms MS    time cap of the broadcast workload       [BENCH_BROADCAST_MAX_MS]
  --warmup-connect-rounds N  connection rounds of the first warm-up  [BENCH_WARMUP_CONNECT_ROUNDS]
  --warmup-clients N, --warmup-rounds N, --warmup-messages N: warm-up per target [BENCH_WARMUP_*]
  --repeat N               runs per target (median reported)        [BENCH_REPEAT]
  --targets a,b            among: ${TARGETS.map((t) => t.id).join(", ")}   [BENCH_TARGETS]
  --workloads a,b          among: ${WORKLOADS.join(", ")}   [BENCH_WORKLOADS]
  --out FILE               JSON results ("" for none; default bench/results/latest.json) [BENCH_OUT]
  --from-src               load socket.io-cluster from src/ instead of dist/   [BENCH_FROM_SRC=1]
Redis targets need SOCKET_IO_CLUSTER_BENCH_REDIS_URL (npm run bench starts a private redis-server).`;

/** A mistake in the options: reported without a stack trace. */
export class ConfigError extends Error {}

const VALUE_FLAGS = new Set([
  "--clients", "--connect-rounds", "--echo-rounds", "--echo-max-ms", "--echo-payload", "--messages", "--batch",
  "--window", "--broadcast-max-ms", "--warmup-connect-rounds", "--warmup-clients", "--warmup-rounds",
  "--warmup-messages", "--repeat", "--targets", "--workloads", "--out",
]);
const SWITCHES = new Set(["--quick", "--from-src"]);

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
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_FLAGS.has(name) && !SWITCHES.has(name)) throw new ConfigError(`unknown option "${arg}" (--help lists them)`);
    if (eq > 0) flags.set(name, arg.slice(eq + 1));
    else if (SWITCHES.has(name)) flags.set(name, "1");
    else if (i + 1 < argv.length) flags.set(name, argv[++i]);
    else throw new ConfigError(`${arg} needs a value`);
  }
  const used = new Set<string>();
  const str = (envName: string, flag = flagName(envName)): string | undefined => {
    used.add(flag);
    return flags.get(flag) ?? env[envName];
  };
  const quick = str("BENCH_QUICK", "--quick") === "1";
  const num = (envName: string, full: number, small: number, flag?: string): number => {
    const raw = str(envName, flag);
    if (raw === undefined || raw === "") return quick ? small : full;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${flag ?? flagName(envName)} must be a whole number, got "${raw}"`);
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
    connectRounds: Math.max(1, num("BENCH_CONNECT_ROUNDS", 10, 6)),
    echoRounds: num("BENCH_ECHO_ROUNDS", 250, 200),
    echoMaxMs: num("BENCH_ECHO_MAX_MS", 8_000, 3_000),
    echoPayloadBytes: num("BENCH_ECHO_PAYLOAD", 32, 32, "--echo-payload"),
    broadcastMessages: num("BENCH_MESSAGES", 1_200, 1_000, "--messages"),
    broadcastBatch: num("BENCH_BATCH", 5, 5, "--batch"),
    broadcastWindow: num("BENCH_WINDOW", 2, 2, "--window"),
    broadcastMaxMs: num("BENCH_BROADCAST_MAX_MS", 8_000, 3_000),
    warmupConnectRounds: num("BENCH_WARMUP_CONNECT_ROUNDS", 30, 20),
    warmupClients: num("BENCH_WARMUP_CLIENTS", 20, 10),
    warmupRounds: num("BENCH_WARMUP_ROUNDS", 50, 20),
    warmupMessages: num("BENCH_WARMUP_MESSAGES", 100, 40),
    repeat: Math.max(1, num("BENCH_REPEAT", 5, 3)),
    targets: list("BENCH_TARGETS", TARGETS.map((t) => t.id)),
    workloads: list("BENCH_WORKLOADS", WORKLOADS) as WorkloadId[],
    out: str("BENCH_OUT") ?? defaultOut,
    fromSrc: str("BENCH_FROM_SRC", "--from-src") === "1",
    redisUrl: env.SOCKET_IO_CLUSTER_BENCH_REDIS_URL || undefined,
  };
  for (const flag of flags.keys()) if (!used.has(flag)) throw new ConfigError(`unknown option ${flag}`);
  if (config.clients < 1) throw new ConfigError("--clients must be at least 1");
  if (config.broadcastBatch < 1 || config.broadcastWindow < 1) throw new ConfigError("--batch and --window must be at least 1");
  return config;
}
