import { randomBytes } from "crypto";
import type { RedisConfig } from "./transport/redis-client";
import { createTransport } from "./transport/create-transport";
import { Transport } from "./transport/transport";
import type { LinkAddressOptions } from "./transport/direct/address";
import { MetricsOptions, NodeMetrics, resolveMetrics } from "./metrics/node-metrics";
import { ClusterOptionsError } from "./errors";

/** How a node joins its cluster. Every field has an environment fallback and a default. */
export interface ClusterOptions {
  /**
   * Redis to join: a URL, ioredis options or an ioredis client. Without it the node runs alone on
   * an in-process transport and behaves as plain Socket.IO. A primary behind Sentinels is
   * `redis-sentinel://host:port,host:port?name=mymaster` or ioredis `{ sentinels, name }`.
   *
   * A Redis Cluster (Redis 7 or later) is a list of node URLs, as an array or comma-separated in
   * one string (so it fits `--redis` and SOCKET_IO_CLUSTER_REDIS_URL), or a ready ioredis
   * `Cluster` for options of your own. A few nodes are enough: the others are discovered. The
   * credentials and TLS (`rediss://`) of the first URL apply to every node; database 0 only. Every
   * key is hash-tagged so that no command spans two slots, and the cluster's own pub/sub is sharded
   * (SSUBSCRIBE/SPUBLISH, one shard per channel).
   * @default process.env.SOCKET_IO_CLUSTER_REDIS_URL
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
   * Key prefix of the cluster. Two prefixes on one Redis are two clusters that never meet.
   * @default process.env.SOCKET_IO_CLUSTER_PREFIX ?? "sioc"
   */
  prefix?: string;
  /**
   * Connections of a co-located io-node reach their app-node by a function call. `false` sends
   * them through the transport as a remote io-node would (for tests of the whole path).
   * @default process.env.SOCKET_IO_CLUSTER_LOCAL_FAST_PATH !== "0"
   */
  localFastPath?: boolean;
  /**
   * How an io-node picks the owner of a new connection among live app-nodes (a co-located io-node
   * always prefers its own app-node).
   * @default "round-robin"
   */
  ownerStrategy?: "round-robin" | "least-loaded";
  /**
   * ms between two heartbeats of a node.
   * @default process.env.SOCKET_IO_CLUSTER_HEARTBEAT_INTERVAL ?? 1000
   */
  heartbeatInterval?: number;
  /**
   * ms without heartbeat after which a node is dead; it is noticed within
   * `nodeTimeout + heartbeatInterval`.
   * @default process.env.SOCKET_IO_CLUSTER_NODE_TIMEOUT ?? 5000
   */
  nodeTimeout?: number;
  /**
   * ms `serverSideEmit` with an ack and `adapter.allRooms()` wait for the other app-nodes, as the
   * redis-adapter's option of that name: then the ack gets `Error("timeout reached: only N
   * responses received out of M")` and the responses so far, and `allRooms()` rejects.
   * (`fetchSockets` waits `timeout(ms)` or 5 s, as with socket.io-adapter; broadcast acks wait
   * their own `timeout(ms)`.)
   * @default 5000
   */
  requestsTimeout?: number;
  /**
   * Relay batches between io-nodes and app-nodes travel over direct TCP links between the nodes
   * (Redis keeps their addresses and stays the fallback road); `false` keeps them on Redis
   * streams. The in-memory transport has no use for it.
   * @default process.env.SOCKET_IO_CLUSTER_DIRECT_LINKS !== "0"
   */
  directLinks?: boolean;
  /**
   * Where this node's direct-link server listens and the host it tells peers to use.
   * @default { host: process.env.SOCKET_IO_CLUSTER_LINK_HOST ?? "127.0.0.1", port: process.env.SOCKET_IO_CLUSTER_LINK_PORT ?? 0, advertise: process.env.SOCKET_IO_CLUSTER_LINK_ADVERTISE ?? (host if specific, else the first non-internal IPv4, else "127.0.0.1") }
   */
  link?: LinkAddressOptions;
  /** A ready transport, shared by several nodes of one process (tests); the caller closes it. */
  transport?: Transport;
  /**
   * io-nodes move existing connections to app-nodes that joined (or hold less than their fair
   * share), sessions and all, at most `maxPerSecond` connections per second per io-node. Only
   * connections whose every socket can be recovered (`connectionStateRecovery`) move: the client
   * keeps its socket ids, rooms and data and sees nothing. `false` turns it off. An io-node
   * co-located with an app-node serves only that one and never rebalances.
   * `SOCKET_IO_CLUSTER_REBALANCE`: "0" turns it off, a number sets `maxPerSecond`.
   * @default { maxPerSecond: 50 }
   *
   * @example
   * createIoNode({ port: 8081, redis, rebalance: { maxPerSecond: 200 } });
   * createIoNode({ port: 8081, redis, rebalance: false });
   */
  rebalance?: false | RebalanceOptions;
  /**
   * Port of a small HTTP server answering `GET /metrics` with this node's Prometheus metrics
   * (every name starts with `socket_io_cluster_`); 0 picks a free one. Off by default: without it
   * (and without `metrics.registry`) nodes keep no metrics at all.
   * @default process.env.SOCKET_IO_CLUSTER_METRICS_PORT (off when unset)
   *
   * @example
   * createIoNode({ port: 8081, redis, metricsPort: 9100 });
   */
  metricsPort?: number;
  /**
   * Where the metrics go besides `metricsPort`: `registry` adds them to the app's own prom-client
   * Registry (served by the app's own `/metrics`), `host` is the interface the metrics server binds.
   * @default a private Registry; all interfaces
   *
   * @example
   * const registry = new (require("prom-client").Registry)();
   * new Server(httpServer, { cluster: { redis, metrics: { registry } } });
   */
  metrics?: MetricsOptions;
}

/** How io-nodes rebalance connections (see {@link ClusterOptions.rebalance}). */
export interface RebalanceOptions {
  /** Connections one io-node moves per second at most, so a join never storms. @default 50 */
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
    const raw = process.env.SOCKET_IO_CLUSTER_REBALANCE;
    if (raw === "0" || raw === "false") return false;
    opt = raw ? { maxPerSecond: envNumber("SOCKET_IO_CLUSTER_REBALANCE") } : {};
  }
  if (opt === false) return false;
  if (typeof opt !== "object" || opt === null) {
    throw new ClusterOptionsError(`rebalance must be false or { maxPerSecond }, got ${String(opt)}`);
  }
  const maxPerSecond = opt.maxPerSecond ?? 50;
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

/** `false`, or where the link server listens: options first, then the environment. */
function resolveDirectLinks(opts: ClusterOptions): false | LinkAddressOptions {
  if (!(opts.directLinks ?? process.env.SOCKET_IO_CLUSTER_DIRECT_LINKS !== "0")) return false;
  const env = process.env;
  const rawPort = env.SOCKET_IO_CLUSTER_LINK_PORT;
  const port = opts.link?.port ?? (rawPort && rawPort !== "0" ? envNumber("SOCKET_IO_CLUSTER_LINK_PORT") : 0);
  return {
    host: opts.link?.host ?? (env.SOCKET_IO_CLUSTER_LINK_HOST || undefined),
    port,
    advertise: opts.link?.advertise ?? (env.SOCKET_IO_CLUSTER_LINK_ADVERTISE || undefined),
  };
}

export function resolveClusterOptions(opts: ClusterOptions = {}): ResolvedClusterOptions {
  const prefix = opts.prefix ?? process.env.SOCKET_IO_CLUSTER_PREFIX ?? "sioc";
  if (!/^[\w.:-]{1,64}$/.test(prefix)) {
    throw new ClusterOptionsError(`cluster prefix "${prefix}" must be 1-64 characters of letters, digits, _ . : -`);
  }
  // checked before a transport exists: a bad option must not leave Redis connections behind
  const requestsTimeout = opts.requestsTimeout ?? 5000;
  if (!Number.isFinite(requestsTimeout) || requestsTimeout <= 0) {
    throw new ClusterOptionsError(`requestsTimeout must be a positive number of ms, got ${String(opts.requestsTimeout)}`);
  }
  const rebalance = resolveRebalance(opts.rebalance);
  const metrics = resolveMetrics(opts.metricsPort, opts.metrics);
  const redis = opts.redis ?? (process.env.SOCKET_IO_CLUSTER_REDIS_URL || undefined);
  const heartbeatInterval = opts.heartbeatInterval ?? envNumber("SOCKET_IO_CLUSTER_HEARTBEAT_INTERVAL") ?? 1000;
  const nodeTimeout = opts.nodeTimeout ?? envNumber("SOCKET_IO_CLUSTER_NODE_TIMEOUT") ?? 5000;
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
    localFastPath: opts.localFastPath ?? process.env.SOCKET_IO_CLUSTER_LOCAL_FAST_PATH !== "0",
    ownerStrategy: opts.ownerStrategy ?? "round-robin",
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
