import { statSync } from "fs";
import type { Server as HttpServer } from "http";
import { resolve } from "path";
import { UsageError } from "./args";
import { redactUrl } from "./redact-url";
import { CLUSTER_ENV } from "../defaults";
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
