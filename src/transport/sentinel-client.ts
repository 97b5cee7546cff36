import type Redis from "ioredis";
import type { RedisOptions } from "ioredis";
import { debug as makeDebug } from "../log";

const debug = makeDebug("transport:sentinel");

/**
 * While Sentinel fails a primary over, a connection may still reach the old primary once it is
 * back as a replica: every write gets `READONLY You can't write against a read only replica`.
 * Reconnecting (ioredis asks the Sentinels for the primary again) and resending the command (2)
 * lets the write land on the new primary instead of failing: heartbeats, inbox appends, sessions.
 */
function reconnectOnReadOnly(err: Error): 2 | false {
  if (!err.message.startsWith("READONLY")) return false;
  debug("READONLY from a demoted primary: reconnecting through the Sentinels");
  return 2;
}

/** Whether these ioredis options reach Redis through Sentinels. */
export function usesSentinels(options: RedisOptions): boolean {
  return Array.isArray(options.sentinels) && options.sentinels.length > 0;
}

/**
 * Our defaults for a client behind Sentinels, under the caller's own options (which win). Not
 * applied to a single Redis: there a READONLY error means a misconfigured URL, and reconnecting
 * to the same replica forever would only hide it.
 *
 * @example
 * new Redis({ ...CLIENT_DEFAULTS, ...sentinelDefaults(options), ...options });
 */
export function sentinelDefaults(options: RedisOptions): RedisOptions {
  return usesSentinels(options) ? { reconnectOnError: reconnectOnReadOnly } : {};
}

/**
 * A duplicate of `client` for pub/sub. Behind Sentinels it also watches them for a failover
 * (ioredis `failoverDetector`) and moves to the new primary at once. Without it, Sentinel's
 * reconfiguration disconnects the normal clients of a demoted primary but not its subscribers:
 * they would stay on a replica, hearing the new primary's messages only as long as that replica
 * follows it, and reconnect only when it goes away.
 *
 * @example
 * const sub = duplicateSentinelSubscriber(cmd);
 */
export function duplicateSentinelSubscriber(client: Redis): Redis {
  const { options } = client;
  // no ready check (INFO) on the subscriber: a subscriber has nothing to wait for while Redis
  // loads, and an INFO that meets the connection in subscribe mode fails it and every queued
  // SUBSCRIBE with "only (P|S)SUBSCRIBE ... are allowed in this context"
  const own = { enableReadyCheck: false };
  if (!usesSentinels(options) || options.failoverDetector !== undefined) return client.duplicate(own);
  return client.duplicate({ ...own, failoverDetector: true });
}
