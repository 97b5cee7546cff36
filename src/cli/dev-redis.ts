import { UsageError } from "./args";
import { ChildProcesses, ManagedChild } from "./child-processes";
import { findExecutable } from "./find-executable";
import { canConnect } from "./ports";
import { startPrivateRedis } from "./private-redis";
import { redactUrl } from "./redact-url";
import { withoutPrefix } from "../errors";
import { isSentinelUrl, parseSentinelUrl } from "../transport/sentinel-url";
import { isClusterUrlList, parseClusterUrls } from "../transport/cluster-url";

/** Where a `dev` cluster gets Redis from; undefined means none: the in-memory default. */
export type DevRedisSource = { kind: "configured"; url: string } | { kind: "private"; binary: string } | undefined;

export interface DevRedis {
  url: string;
  /** How the summary describes it. */
  description: string;
  /** The redis-server `dev` started, stopped with it. */
  child?: ManagedChild;
}

/**
 * The configured Redis if any, else a private redis-server if one is installed, else none.
 * Decides without starting anything, so a usage error leaves nothing behind.
 */
export function chooseDevRedis(configured: string | undefined): DevRedisSource {
  if (configured) return { kind: "configured", url: configured };
  const binary = findExecutable("redis-server");
  return binary ? { kind: "private", binary } : undefined;
}

/** Checks that a configured Redis answers, or starts the private one. */
export async function startDevRedis(source: NonNullable<DevRedisSource>, children: ChildProcesses): Promise<DevRedis> {
  if (source.kind === "configured") {
    await assertReachable(source.url);
    return { url: source.url, description: redactUrl(source.url) };
  }
  const redis = await startPrivateRedis(source.binary, children);
  return { ...redis, description: `${redis.url} (a private redis-server started for this run)` };
}

/**
 * A Sentinel URL (or a Redis Cluster's list of node URLs) is fine when it parses and one of its
 * Sentinels (nodes) accepts connections: ioredis finds the others from there.
 */
async function assertAnyReachable(url: string): Promise<void> {
  const cluster = isClusterUrlList(url);
  let hosts: Array<{ host?: string; port?: number }>;
  try {
    hosts = cluster ? (parseClusterUrls(url).nodes as typeof hosts) : (parseSentinelUrl(url).sentinels ?? []);
  } catch (err) {
    throw new UsageError(withoutPrefix((err as Error).message));
  }
  for (const { host = "localhost", port = cluster ? 6379 : 26379 } of hosts) {
    if (await canConnect(host, port, 2_000)) return;
  }
  throw new Error(`cannot reach any ${cluster ? "Redis Cluster node" : "Sentinel"} of ${redactUrl(url)}: are they running?`);
}

/** Fails early with a clear message rather than leaving every node retrying a dead address. */
async function assertReachable(url: string): Promise<void> {
  if (isSentinelUrl(url) || isClusterUrlList(url)) return assertAnyReachable(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`the Redis URL must look like redis://localhost:6379, got "${url}"`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") return;
  const host = (parsed.hostname || "localhost").replace(/^\[(.*)\]$/, "$1");
  const port = Number(parsed.port) || 6379;
  if (!(await canConnect(host, port, 2_000))) {
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: is it running?`);
  }
}
