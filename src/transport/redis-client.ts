import Redis, { Cluster, ClusterOptions, RedisOptions } from "ioredis";
import { isSentinelUrl, parseSentinelUrl } from "./sentinel-url";
import { duplicateSentinelSubscriber, sentinelDefaults } from "./sentinel-client";
import { isClusterUrlList, parseClusterUrls } from "./cluster-url";

/**
 * Where to find Redis:
 * - a URL: `redis://host:port/db`, `rediss://user:password@host:port` for TLS, or
 *   `redis-sentinel://host:port,host:port?name=mymaster` for a primary behind Sentinels (see
 *   `parseSentinelUrl`);
 * - a Redis Cluster: a list of node URLs (`["redis://a:7000", "redis://b:7001"]`, or the same
 *   comma-separated in one string, see `parseClusterUrls`) or a ready ioredis `Cluster`;
 * - ioredis options (`{ host, port, username, password, tls: { ca } }`, `sentinels` and `name`
 *   included), or a ready ioredis client.
 *
 * Every connection a node opens is a duplicate of the first, so it reaches the same Redis the same way.
 */
export type RedisConfig = string | string[] | RedisOptions | Redis | Cluster;

/** A connection to one Redis (direct or behind Sentinels) or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * No auto-pipelining: ioredis defers each auto-pipeline with the global `setImmediate` of the
 * moment, and every later command of the client joins the pending one. An app's test that fakes
 * the timers for a while (see src/clock.ts) would leave that callback on the fake clock and the
 * client silent for good: heartbeats, inboxes, pub/sub. The relay already sends one batch per peer
 * per event-loop turn, so there is little left to pipeline.
 */
const CLIENT_DEFAULTS: RedisOptions = { enableAutoPipelining: false, maxRetriesPerRequest: null };

/**
 * A Cluster client as the single one, and more patient: while a replica takes over a dead
 * master, its slots answer CLUSTERDOWN or nothing for a few seconds. Retrying every 100 ms
 * (ioredis' delays) up to 100 times lets heartbeats, inbox appends and sessions land once the
 * replica serves, instead of failing after ioredis' 16 tries (1.6 s).
 */
const CLUSTER_DEFAULTS: ClusterOptions = {
  enableAutoPipelining: false,
  maxRedirections: 100,
  redisOptions: { maxRetriesPerRequest: null },
};

/** Whether `client` is a Redis Cluster client (duck-typed: a Cluster of another ioredis copy counts). */
export function isCluster(client: RedisClient | RedisConfig): client is Cluster {
  return typeof client === "object" && client !== null && (client as { isCluster?: unknown }).isCluster === true;
}

function isClient(config: RedisConfig): config is RedisClient {
  return config instanceof Redis || isCluster(config);
}

function newCluster(urls: string | string[]): Cluster {
  const { nodes, options } = parseClusterUrls(urls);
  return new Cluster(nodes, { ...CLUSTER_DEFAULTS, ...options, redisOptions: { ...CLUSTER_DEFAULTS.redisOptions, ...options.redisOptions } });
}

/**
 * The command connection for `config`; `owned` is false for a client the caller made (and closes).
 *
 * @example
 * const { client } = createRedisClient("redis://10.0.0.1:7000,redis://10.0.0.2:7001"); // a Cluster
 */
export function createRedisClient(config: RedisConfig): { client: RedisClient; owned: boolean } {
  if (isClient(config)) return { client: config, owned: false };
  if (Array.isArray(config)) return { client: newCluster(config), owned: true };
  if (typeof config === "string") {
    if (isClusterUrlList(config)) return { client: newCluster(config), owned: true };
    if (!isSentinelUrl(config)) return { client: new Redis(config, CLIENT_DEFAULTS), owned: true };
  }
  const options = typeof config === "string" ? parseSentinelUrl(config) : config;
  return { client: new Redis({ ...CLIENT_DEFAULTS, ...sentinelDefaults(options), ...options }), owned: true };
}

/**
 * A duplicate of `client` for pub/sub. For a Cluster it has one subscriber connection per master
 * (ioredis `shardedSubscribers`), which SSUBSCRIBE needs: a sharded channel is served by the
 * master of its slot only. Behind Sentinels, see `duplicateSentinelSubscriber`.
 *
 * @example
 * const sub = duplicateSubscriber(cmd);
 */
export function duplicateSubscriber(client: RedisClient): RedisClient {
  if (isCluster(client)) return client.duplicate([], { shardedSubscribers: true });
  return duplicateSentinelSubscriber(client);
}
