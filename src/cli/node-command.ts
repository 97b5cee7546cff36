import { statSync } from "fs";
import type { Server as HttpServer } from "http";
import { resolve } from "path";
import { portFlag, UsageError } from "./args";
import { redactUrl } from "./redact-url";
import { CLUSTER_DEFAULTS, CLUSTER_ENV } from "../defaults";
import { exitOnSignal, withTimeout } from "./shutdown";

/** What the `io-node` and `frontend` commands run: a node that starts, and closes. */
interface RunningNode {
  id: string;
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** How long a stop may take before the process exits anyway (e.g. Redis is unreachable). */
const CLOSE_TIMEOUT_MS = 3_000;
/** After this long without Redis, say what the node is waiting for instead of staying silent. */
const SLOW_START_NOTICE_MS = 3_000;

/** The flags both node commands take, for `parseCommandArgs` (each command adds its own). */
export const NODE_OPTIONS = {
  port: { type: "string" },
  host: { type: "string" },
  redis: { type: "string" },
  prefix: { type: "string" },
  static: { type: "string" },
  "public-address": { type: "string" },
  "metrics-port": { type: "string" },
} as const;

/** A flag and the lines of what it does, as the help lists it. */
export type HelpRow = [flag: string, ...description: string[]];

/** How the help of both node commands begins: where to listen and which cluster to join. */
const FIRST_HELP_ROWS: HelpRow[] = [
  ["--port PORT", "port to listen on (required; 0 picks a free one)"],
  ["--host HOST", "interface to bind (default: all interfaces)"],
  [
    "--redis URL",
    "Redis of the cluster, e.g. redis://localhost:6379",
    `(default: $${CLUSTER_ENV.redis}; one of them is required)`,
    "behind Sentinels: redis-sentinel://HOST:PORT,HOST:PORT?name=NAME",
    "Redis Cluster: node URLs separated by commas, redis://A:7000,redis://B:7001",
  ],
  ["--prefix PREFIX", `cluster key prefix (default: $${CLUSTER_ENV.prefix} or "${CLUSTER_DEFAULTS.prefix}")`],
];

/** How it ends. */
const LAST_HELP_ROWS: HelpRow[] = [
  ["--metrics-port PORT", "serve Prometheus metrics at http://HOST:PORT/metrics", `(default: $${CLUSTER_ENV.metricsPort}, or none)`],
  ["-h, --help", "show this help"],
];

/**
 * The options part of a node command's help: the flags both commands share around the command's
 * own `rows`, each description starting `width` columns after the flag's.
 *
 * @example
 * nodeOptionsHelp(24, [["--no-status", "do not serve /status"]]);
 * // "  --port PORT             port to listen on (required; 0 picks a free one)\n..."
 */
export function nodeOptionsHelp(width: number, rows: HelpRow[]): string {
  const indent = " ".repeat(2 + width);
  const lines = [...FIRST_HELP_ROWS, ...rows, ...LAST_HELP_ROWS].flatMap(([flag, first, ...more]) => [
    `  ${flag.padEnd(width)}${first}`,
    ...more.map((line) => indent + line),
  ]);
  return lines.join("\n") + "\n";
}

/** The port of `--port`, which every node command requires, and its Redis URL (see {@link redisFlag}). */
export function requiredNodeFlags(values: { port?: string; redis?: string }, noRedis: string): { port: number; redis: string } {
  const port = portFlag("port", values.port);
  if (port === undefined) throw new UsageError("--port is required");
  return { port, redis: redisFlag(values.redis, noRedis) };
}

/** The Redis URL of `--redis` or SOCKET_IO_CLUSTER_REDIS_URL; `why` explains a missing one. */
export function redisFlag(raw: string | undefined, why: string): string {
  const redis = raw ?? (process.env[CLUSTER_ENV.redis] || undefined);
  if (!redis) throw new UsageError(why);
  return redis;
}

/** The absolute path of a directory given to `--flag`, or a {@link UsageError}. */
export function directoryFlag(flag: string, dir: string): string {
  const abs = resolve(dir);
  if (!statSync(abs, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--${flag} ${dir}: not a directory`);
  return abs;
}

/** A listen failure in the operator's words (the port in use, no permission), or the error as it is. */
export function listenError(err: Error, host: string | undefined, port: number): Error {
  const where = `${host ?? "*"}:${port}`;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") return new Error(`port ${where} is already in use`);
  if (code === "EACCES") return new Error(`no permission to listen on ${where}`);
  return err;
}

/** On SIGINT/SIGTERM: closes the node (bounded by a timeout), then its HTTP server, then exits. */
export function closeOnSignal(label: string, node: RunningNode, httpServer: () => HttpServer | undefined): void {
  exitOnSignal(async () => {
    await withTimeout(node.close(), CLOSE_TIMEOUT_MS, `closing the ${label}`).catch((err: Error) => console.error(err.message));
    httpServer()?.closeAllConnections();
    httpServer()?.close();
  });
}

/** Waits for the node to be ready, telling the operator when Redis keeps it waiting. */
export async function readyOrNotice(label: string, node: RunningNode, redis: string): Promise<void> {
  const notice = setTimeout(() => console.error(`${label} ${node.id}: waiting for Redis at ${redactUrl(redis)}...`), SLOW_START_NOTICE_MS);
  try {
    await node.ready();
  } finally {
    clearTimeout(notice);
  }
}
