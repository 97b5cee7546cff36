import { randomBytes } from "crypto";
import type { RedisConfig } from "./transport/redis-client";
import { createTransport } from "./transport/create-transport";
import { Transport } from "./transport/transport";
import type { LinkAddressOptions } from "./transport/direct/address";
import { MetricsOptions, NodeMetrics, resolveMetrics } from "./metrics/node-metrics";
import { ClusterOptionsError } from "./errors";
import { CLUSTER_DEFAULTS, CLUSTER_ENV } from "./defaults";

/**
 * How a node joins its cluster: `cluster` of `new Server`, or the same keys in `createIoNode` (and
 * some in `createFrontend`). Every field has a default ({@link CLUSTER_DEFAULTS}), most an
 * environment fallback ({@link CLUSTER_ENV}); an option wins over its variable.
 *
 * @example
 * new Server(httpServer, { cluster: { redis: "redis://10.0.0.5:6379", prefix: "chat" } });
 */
export interface ClusterOptions {
  /**
   * Redis to join: a URL, ioredis options or an ioredis client; for Redis Cluster a list of node
   * URLs (an array, or comma-separated in one string) or an ioredis `Cluster`. Without it the node
   * runs alone on an in-process transport and behaves as plain Socket.IO.
   *
   * A primary behind Sentinels is `redis-sentinel://host:port,host:port?name=mymaster` or ioredis
   * `{ sentinels, name }`.
   *
   * A Redis Cluster (Redis 7 or later) list fits `--redis` and SOCKET_IO_CLUSTER_REDIS_URL as one
   * comma-separated string; a ready ioredis `Cluster` takes options of your own. A few nodes are
   * enough: the others are discovered. The credentials and TLS (`rediss://`) of the first URL apply
   * to every node; database 0 only. Every key is hash-tagged so that no command spans two slots,
   * and the cluster's own pub/sub is sharded (SSUBSCRIBE/SPUBLISH, one shard per channel).
   * @default none: in-memory, one process (SOCKET_IO_CLUSTER_REDIS_URL)
   *
   * @example
   * new Server({ cluster: { redis: "redis-sentinel://10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379?name=mymaster" } });
   * // Redis Cluster
   * new Server({ cluster: { redis: ["redis://10.0.0.1:7000", "redis://10.0.0.2:7001", "redis://10.0.0.3:7002"] } });
   * new Server({ cluster: { redis: "redis://10.0.0.1:7000,redis://10.0.0.2:7001" } }); // same, one string
   * new Server({ cluster: { redis: new Cluster([{ host: "10.0.0.1", port: 7000 }], { redisOptions: { password } }) } });
   */
  redis?: RedisConfig;
  /**
   * Key prefix of the cluster; two prefixes on one Redis are two clusters that never meet.
   * @default "sioc" (SOCKET_IO_CLUSTER_PREFIX)
   *
   * @example
   * new Server(httpServer, { cluster: { redis, prefix: "staging" } });
   */
  prefix?: string;
  /**
   * Connections of a co-located io-node reach their app-node by a function call; `false` relays
   * them through the transport as a remote io-node's are (for tests of the whole path).
   * @default true (SOCKET_IO_CLUSTER_LOCAL_FAST_PATH: `0` = false)
   *
   * @example
   * new Server(httpServer, { cluster: { redis, localFastPath: false } });
   */
  localFastPath?: boolean;
  /**
   * How an io-node picks the owner of a new connection among live app-nodes: `round-robin` or
   * `least-loaded` (a co-located io-node always prefers its own app-node).
   * @default "round-robin"
   *
   * @example
   * createIoNode({ port: 8081, redis, ownerStrategy: "least-loaded" });
   */
  ownerStrategy?: "round-robin" | "least-loaded";
  /**
   * ms between two heartbeats of a node.
   * @default 1000 (SOCKET_IO_CLUSTER_HEARTBEAT_INTERVAL)
   *
   * @example
   * new Server(httpServer, { cluster: { redis, heartbeatInterval: 500, nodeTimeout: 2500 } });
   */
  heartbeatInterval?: number;
  /**
   * ms without heartbeat after which a node is dead; it is noticed within
   * `nodeTimeout + heartbeatInterval`. It must be larger than `heartbeatInterval`.
   * @default 5000 (SOCKET_IO_CLUSTER_NODE_TIMEOUT)
   *
   * @example
   * createIoNode({ port: 8081, redis, nodeTimeout: 10_000 });
   */
  nodeTimeout?: number;
  /**
   * ms `serverSideEmit` with an ack and `adapter.allRooms()` wait for the other app-nodes, as the
   * redis-adapter's option of that name: then the ack gets `Error("timeout reached: only N
   * responses received out of M")` with the responses so far (`serverSideEmitWithAck` rejects
   * with them as `err.responses`), and `allRooms()` rejects. An app-node that dies meanwhile is
   * waited for, as a silent one. (`fetchSockets` waits `timeout(ms)` or 5 s, as with
   * socket.io-adapter; broadcast acks wait their own `timeout(ms)`.)
   * @default 5000
   *
   * @example
   * new Server(httpServer, { cluster: { redis, requestsTimeout: 2000 } });
   */
  requestsTimeout?: number;
  /**
   * Relay batches between io-nodes and app-nodes travel over direct TCP links between the nodes
   * (Redis keeps their addresses and stays the fallback road); `false` keeps them on Redis
   * streams. The in-memory transport has no use for it.
   * @default true with Redis (SOCKET_IO_CLUSTER_DIRECT_LINKS: `0` = false)
   *
   * @example
   * createIoNode({ port: 8081, redis, directLinks: false });
   */
  directLinks?: boolean;
  /**
   * Where this node's direct-link server listens (`host`, and `port`: 0 picks a free one) and
   * `advertise`, the host peers connect to (default: `host` when it names one interface, else the
   * first non-internal IPv4, else "127.0.0.1"). The default keeps the port off the network: nodes
   * on other machines then relay through Redis streams; across machines set
   * `{ host: "0.0.0.0", advertise: "<this machine's address>" }` (peers must present the cluster
   * secret kept in Redis).
   * @default { host: "127.0.0.1", port: 0 } (SOCKET_IO_CLUSTER_LINK_HOST, SOCKET_IO_CLUSTER_LINK_PORT, SOCKET_IO_CLUSTER_LINK_ADVERTISE)
   *
   * @example
   * createIoNode({ port: 8081, redis, link: { host: "0.0.0.0", port: 7000, advertise: "10.0.0.7" } });
   */
  link?: LinkAddressOptions;
  /**
   * A ready transport, shared by several nodes of one process (tests); the caller closes it.
   * @default none: one made from `redis`, closed with the node
   *
   * @example
   * const transport = new MemoryTransport("test");
   * const io = new Server(3000, { cluster: { transport } });
   * const ioNode = createIoNode({ port: 3001, transport });
   */
  transport?: Transport;
  /**
   * io-nodes move existing connections to app-nodes that joined (or hold less than their fair
   * share), sessions and all, at most `maxPerSecond` moves started per second per io-node; `false`
   * turns it off. Only connections whose every socket can be recovered (`connectionStateRecovery`)
   * move: the client keeps its socket ids, rooms and data and sees nothing. An io-node co-located
   * with an app-node serves only that one and never rebalances.
   * @default { maxPerSecond: 50 } (SOCKET_IO_CLUSTER_REBALANCE: `0` = false, a number = `maxPerSecond`)
   *
   * @example
   * createIoNode({ port: 8081, redis, rebalance: { maxPerSecond: 200 } });
   * createIoNode({ port: 8081, redis, rebalance: false });
   */
  rebalance?: false | RebalanceOptions;
  /**
   * Port of a small HTTP server answering `GET /metrics` with this node's Prometheus metrics
   * (every name starts with `socket_io_cluster_`); 0 picks a free one. Without it (and without
   * `metrics.registry`) nodes keep no metrics at all.
   * @default none: off (SOCKET_IO_CLUSTER_METRICS_PORT)
   *
   * @example
   * createIoNode({ port: 8081, redis, metricsPort: 9100 });
   */
  metricsPort?: number;
  /**
   * Where the metrics go besides `metricsPort`: `{ registry }` adds them to the app's own
   * prom-client `Registry` (served by the app's own `/metrics`), `{ host }` is the interface the
   * metrics server binds.
   * @default none: a private Registry; all interfaces
   *
   * @example
   * const registry = new (require("prom-client").Registry)();
   * new Server(httpServer, { cluster: { redis, metrics: { registry } } });
   */
  metrics?: MetricsOptions;
}

/**
 * How io-nodes rebalance connections (see {@link ClusterOptions.rebalance}).
 *
 * @example
 * const rebalance: RebalanceOptions = { maxPerSecond: 20 };
 */
export interface RebalanceOptions {
  /**
   * Connections one io-node moves per second at most, so a join never storms.
   * @default 50
   *
   * @example
   * createIoNode({ port: 8081, redis, rebalance: { maxPerSecond: 10 } });
   */
  maxPerSecond?: number;
}

export interface ResolvedClusterOptions {
  transport: Transport;
  /** Whether this node created the transport and must close it. */
  ownsTransport: boolean;
  prefix: string;
  clustered: boolean;
  localFastPath: boolean;
  ownerStrategy: "round-robin" | "least-loaded";
  heartbeatInterval: number;
  nodeTimeout: number;
  requestsTimeout: number;
  rebalance: false | Required<RebalanceOptions>;
  /** The nodes' metrics, shared by the nodes built on these options; undefined when off. */
  metrics?: NodeMetrics;
}

/** The rebalance option, then the environment, then the default; throws on a bad value. */
function resolveRebalance(opt: ClusterOptions["rebalance"]): false | Required<RebalanceOptions> {
  if (opt === undefined) {
    const raw = process.env[CLUSTER_ENV.rebalance];
    if (raw === "0" || raw === "false") return false;
    opt = raw ? { maxPerSecond: envNumber(CLUSTER_ENV.rebalance) } : {};
  }
  if (opt === false) return false;
  if (typeof opt !== "object" || opt === null) {
    throw new ClusterOptionsError(`rebalance must be false or { maxPerSecond }, got ${String(opt)}`);
  }
  const maxPerSecond = opt.maxPerSecond ?? CLUSTER_DEFAULTS.rebalance.maxPerSecond;
  if (!Number.isFinite(maxPerSecond) || maxPerSecond <= 0) {
    throw new ClusterOptionsError(`rebalance.maxPerSecond must be a positive number, got ${String(opt.maxPerSecond)}`);
  }
  return { maxPerSecond };
}

function envNumber(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new ClusterOptionsError(`${name} must be a positive number, got "${raw}"`);
  return n;
}

/** `false` when the variable is "0" (the way to turn an on-by-default flag off), else undefined. */
function envOff(name: string): false | undefined {
  return process.env[name] === "0" ? false : undefined;
}

/**
 * `false`, or where the link server listens: options first, then the environment, then the defaults.
 * @internal exported for test/defaults.test.ts
 */
export function resolveDirectLinks(opts: ClusterOptions): false | LinkAddressOptions {
  if (!(opts.directLinks ?? envOff(CLUSTER_ENV.directLinks) ?? CLUSTER_DEFAULTS.directLinks)) return false;
  const env = process.env;
  const names = CLUSTER_ENV.link;
  const rawPort = env[names.port];
  const envPort = rawPort && rawPort !== "0" ? envNumber(names.port) : undefined;
  return {
    host: opts.link?.host ?? (env[names.host] || CLUSTER_DEFAULTS.link.host),
    port: opts.link?.port ?? envPort ?? CLUSTER_DEFAULTS.link.port,
    // no default: worked out from host and the machine's interfaces (advertisedHost)
    advertise: opts.link?.advertise ?? (env[names.advertise] || undefined),
  };
}

/**
 * Every cluster option from `opts`, else its environment variable ({@link CLUSTER_ENV}), else
 * {@link CLUSTER_DEFAULTS}; throws a ClusterOptionsError for a bad one before any connection is made.
 */
export function resolveClusterOptions(opts: ClusterOptions = {}): ResolvedClusterOptions {
  const prefix = opts.prefix ?? process.env[CLUSTER_ENV.prefix] ?? CLUSTER_DEFAULTS.prefix;
  if (!/^[\w.:-]{1,64}$/.test(prefix)) {
    throw new ClusterOptionsError(`cluster prefix "${prefix}" must be 1-64 characters of letters, digits, _ . : -`);
  }
  // checked before a transport exists: a bad option must not leave Redis connections behind
  const requestsTimeout = opts.requestsTimeout ?? CLUSTER_DEFAULTS.requestsTimeout;
  if (!Number.isFinite(requestsTimeout) || requestsTimeout <= 0) {
    throw new ClusterOptionsError(`requestsTimeout must be a positive number of ms, got ${String(opts.requestsTimeout)}`);
  }
  const rebalance = resolveRebalance(opts.rebalance);
  const metrics = resolveMetrics(opts.metricsPort, opts.metrics);
  // the default is none (CLUSTER_DEFAULTS.redis): an empty variable counts as unset
  const redis = opts.redis ?? (process.env[CLUSTER_ENV.redis] || CLUSTER_DEFAULTS.redis);
  const heartbeatInterval = opts.heartbeatInterval ?? envNumber(CLUSTER_ENV.heartbeatInterval) ?? CLUSTER_DEFAULTS.heartbeatInterval;
  const nodeTimeout = opts.nodeTimeout ?? envNumber(CLUSTER_ENV.nodeTimeout) ?? CLUSTER_DEFAULTS.nodeTimeout;
  if (nodeTimeout <= heartbeatInterval) {
    throw new ClusterOptionsError(`nodeTimeout (${nodeTimeout}) must be larger than heartbeatInterval (${heartbeatInterval})`);
  }
  const ownsTransport = !opts.transport;
  const transport = opts.transport ?? createTransport({ redis, prefix, directLinks: resolveDirectLinks(opts) });
  return {
    transport,
    ownsTransport,
    prefix,
    clustered: transport.kind !== "memory" || !ownsTransport,
    localFastPath: opts.localFastPath ?? envOff(CLUSTER_ENV.localFastPath) ?? CLUSTER_DEFAULTS.localFastPath,
    ownerStrategy: opts.ownerStrategy ?? CLUSTER_DEFAULTS.ownerStrategy,
    heartbeatInterval,
    nodeTimeout,
    requestsTimeout,
    rebalance,
    metrics,
  };
}

export function newNodeId(role: string): string {
  return `${role}-${randomBytes(8).toString("hex")}`;
}
