import type { Server as HttpServer } from "http";
import type { AttachOptions, ServerOptions as EngineServerOptions } from "engine.io";
import type { ClusterOptions } from "../options";

export interface IoNodeOptions extends Partial<EngineServerOptions>, AttachOptions, ClusterOptions {
  /** Attach to this HTTP(S) server. */
  httpServer?: HttpServer;
  /** Or create an HTTP server listening on this port. */
  port?: number;
  /** Interface to bind when `port` is given. @default all interfaces */
  host?: string;
  /** Serve the Socket.IO browser client at `<path>/socket.io.js`. @default true */
  serveClient?: boolean;
  /**
   * host:port that browsers use to reach this io-node, advertised in the registry and by
   * frontend-nodes. @default the bound address
   */
  publicAddress?: string;
  /** Client packets kept per connection while no app-node can take it. @default 1000 */
  maxPendingPackets?: number;
  /** ms a connection may wait for a live app-node before it is closed. @default 30000 */
  pendingTimeout?: number;
}

const CLUSTER_KEYS = new Set([
  "redis",
  "prefix",
  "localFastPath",
  "ownerStrategy",
  "heartbeatInterval",
  "nodeTimeout",
  "requestsTimeout",
  "rebalance",
  "directLinks",
  "link",
  "transport",
  "cluster",
  "metricsPort",
  "metrics",
]);

/** Engine.IO options out of a bag that may also hold cluster and Socket.IO options. */
export function stripClusterOptions<T extends object>(opts: T): Partial<EngineServerOptions> & AttachOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) if (!CLUSTER_KEYS.has(k)) out[k] = v;
  return out as Partial<EngineServerOptions> & AttachOptions;
}
