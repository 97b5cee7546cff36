/**
 * Every default of the options, in one place: options resolution, the CLI's help, the JSDoc
 * `@default` tags (test/defaults.test.ts checks them) and the README's options table
 * (`npm run options-table`) all read them from here, as ioredis keeps its defaults in one object.
 * Type-only imports: this file stays a leaf that any layer may import.
 */
import type { AttachOptions, ServerOptions as EngineServerOptions } from "engine.io";
import type { ClusterOptions } from "./options";
import type { LinkAddressOptions } from "./transport/direct/address";
import type { IoNodeOptions } from "./io-node/io-node-options";
import type { FrontendOptions } from "./frontend-node/frontend-node";

/** One entry per option, no more: a key missing from (or foreign to) the options is a type error. */
type EveryKey<T> = { [K in keyof Required<T>]: T[K] };

/**
 * The defaults of {@link ClusterOptions}, used where neither the option nor its environment
 * variable ({@link CLUSTER_ENV}) is set. Keys whose default is "none" are here as `undefined`, so
 * that the list of cluster keys ({@link CLUSTER_KEYS}) is complete.
 *
 * @example
 * import { CLUSTER_DEFAULTS } from "socket.io-cluster";
 * new Server(httpServer, { cluster: { redis, nodeTimeout: CLUSTER_DEFAULTS.nodeTimeout * 2 } });
 */
export const CLUSTER_DEFAULTS = {
  // none: without Redis a node runs alone on an in-process transport, as plain Socket.IO
  redis: undefined,
  prefix: "sioc",
  localFastPath: true,
  ownerStrategy: "round-robin",
  heartbeatInterval: 1000,
  nodeTimeout: 5000,
  requestsTimeout: 5000,
  directLinks: true,
  // `advertise` has no fixed default: it is worked out from `host` and the machine's interfaces
  link: { host: "127.0.0.1", port: 0 },
  // none: the node creates its own transport from `redis`
  transport: undefined,
  rebalance: { maxPerSecond: 50 },
  // none: no metrics server, and no metrics kept at all unless `metrics.registry` is given
  metricsPort: undefined,
  // none: a private prom-client Registry, a metrics server on all interfaces
  metrics: undefined,
} as const satisfies EveryKey<ClusterOptions>;

/**
 * The environment variables that stand in for {@link ClusterOptions} left unset (an option given
 * in code wins over its variable, a variable over {@link CLUSTER_DEFAULTS}). Options without one
 * are absent.
 *
 * @example
 * process.env[CLUSTER_ENV.prefix] = "staging"; // SOCKET_IO_CLUSTER_PREFIX
 */
export const CLUSTER_ENV = {
  redis: "SOCKET_IO_CLUSTER_REDIS_URL",
  prefix: "SOCKET_IO_CLUSTER_PREFIX",
  localFastPath: "SOCKET_IO_CLUSTER_LOCAL_FAST_PATH",
  heartbeatInterval: "SOCKET_IO_CLUSTER_HEARTBEAT_INTERVAL",
  nodeTimeout: "SOCKET_IO_CLUSTER_NODE_TIMEOUT",
  directLinks: "SOCKET_IO_CLUSTER_DIRECT_LINKS",
  link: { host: "SOCKET_IO_CLUSTER_LINK_HOST", port: "SOCKET_IO_CLUSTER_LINK_PORT", advertise: "SOCKET_IO_CLUSTER_LINK_ADVERTISE" },
  rebalance: "SOCKET_IO_CLUSTER_REBALANCE",
  metricsPort: "SOCKET_IO_CLUSTER_METRICS_PORT",
} as const satisfies { [K in Exclude<keyof ClusterOptions, "link">]?: string } & { link: Record<keyof LinkAddressOptions, string> };

/**
 * Every key of {@link ClusterOptions}, taken from {@link CLUSTER_DEFAULTS} (so a new option
 * cannot be forgotten here): what an io-node strips from its options before they reach Engine.IO.
 *
 * @example
 * CLUSTER_KEYS.includes("prefix"); // true
 */
export const CLUSTER_KEYS = Object.freeze(Object.keys(CLUSTER_DEFAULTS) as (keyof ClusterOptions)[]);

/** The options an io-node adds to Engine.IO's and the cluster's. */
type IoNodeOwnKey = Exclude<keyof IoNodeOptions, keyof ClusterOptions | keyof EngineServerOptions | keyof AttachOptions>;
/** Engine.IO's options whose defaults the io-node's documentation states. */
type IoNodeEngineKey = "path" | "maxHttpBufferSize" | "pingInterval" | "pingTimeout" | "transports";

/**
 * The defaults of {@link IoNodeOptions} beyond the cluster's ({@link CLUSTER_DEFAULTS}). `path`
 * is the io-node's own (Engine.IO's is "/engine.io"); `maxHttpBufferSize`, `pingInterval`,
 * `pingTimeout` and `transports` are Engine.IO's, stated for the CLI's help and the docs (the
 * io-node leaves them to Engine.IO, and a test checks that they agree). Keys whose default is
 * "none" are here as `undefined`.
 *
 * @example
 * createIoNode({ port: 8081, redis, pendingTimeout: IO_NODE_DEFAULTS.pendingTimeout * 2 });
 */
export const IO_NODE_DEFAULTS = {
  // none: without `httpServer` the io-node creates one (listening on `port`, when given)
  httpServer: undefined,
  // none: attached to `httpServer`, or not listening until its server does
  port: undefined,
  // none: all interfaces
  host: undefined,
  serveClient: true,
  // none: the bound address
  publicAddress: undefined,
  maxPendingPackets: 1000,
  pendingTimeout: 30_000,
  path: "/socket.io",
  maxHttpBufferSize: 1e6,
  pingInterval: 25_000,
  pingTimeout: 20_000,
  transports: ["polling", "websocket"],
} as const satisfies EveryKey<Pick<IoNodeOptions, IoNodeOwnKey>> & Required<Pick<IoNodeOptions, IoNodeEngineKey>>;

/**
 * The defaults of {@link FrontendOptions} beyond the cluster's ({@link CLUSTER_DEFAULTS}). Keys
 * whose default is "none" are here as `undefined`; `clientConfigUrl` follows `basePath`
 * (`${basePath}config.js`).
 *
 * @example
 * createFrontend({ port: 8080, redis, failuresKept: FRONTEND_DEFAULTS.failuresKept * 4 });
 */
export const FRONTEND_DEFAULTS = {
  // none: without `httpServer` the frontend creates one when `port` is given
  httpServer: undefined,
  // none: attached to `httpServer` (or used as a handler) only
  port: undefined,
  // none: all interfaces
  host: undefined,
  basePath: "/",
  // none: `${basePath}config.js`, which follows basePath
  clientConfigUrl: undefined,
  // none: only the frontend's own routes
  staticDir: undefined,
  serveClient: true,
  status: true,
  cors: "*",
  // none: the bound address
  publicAddress: undefined,
  failuresKept: 50,
  rateWindow: 5000,
} as const satisfies EveryKey<Omit<FrontendOptions, keyof ClusterOptions>>;

/**
 * Where the frontend serves the io-node list in the original's format, under `basePath`.
 *
 * @example
 * clientConfigUrlFor("/cluster/"); // "/cluster/config.js"
 */
export function clientConfigUrlFor(basePath: string): string {
  return `${basePath}config.js`;
}
