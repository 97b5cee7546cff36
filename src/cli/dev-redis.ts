import { redactUrl } from "./redact-url";
import { ChildProcesses, ManagedChild } from "./child-processes";
import { findExecutable } from "./find-executable";
import { canConnect } from "./ports";
import { startPrivateRedis } from "./private-redis";
import { UsageError } from "./args";

export interface DevRedis {
  url: string;
  /** How the summary describes it. */
  description: string;
  /** The redis-server `dev` started, stopped with it. */
  child?: ManagedChild;
}

/**
 * The Redis a `dev` cluster uses: the one configured (checked to be reachable), else a private
 * redis-server if one is installed, else undefined: the in-memory default, one process.
 */
export async function chooseDevRedis(configured: string | undefined, children: ChildProcesses): Promise<DevRedis | undefined> {
  if (configured) {
    await assertReachable(configured);
    return { url: configured, description: redactUrl(configured) };
  }
  const binary = findExecutable("redis-server");
  if (!binary) return undefined;
  const redis = await startPrivateRedis(binary, children);
  return { ...redis, description: `${redis.url} (a private redis-server started for this run)` };
}

/** Fails early with a clear message rather than leaving every node retrying a dead address. */
async function assertReachable(url: string): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--redis must be a URL like redis://localhost:6379, got "${url}"`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") return;
  const host = (parsed.hostname || "localhost").replace(/^\[(.*)\]$/, "$1");
  const port = Number(parsed.port) || 6379;
  if (!(await canConnect(host, port, 2_000))) {
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: is it running?`);
  }
}
