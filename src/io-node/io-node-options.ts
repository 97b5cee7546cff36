import type { Server as HttpServer } from "http";
import type { AttachOptions, ServerOptions as EngineServerOptions } from "engine.io";
import type { ClusterOptions } from "../options";
import { CLUSTER_KEYS } from "../defaults";

/**
 * Options of `createIoNode`: Engine.IO's own (`path`, `cors`, `pingInterval`...), the cluster's
 * ({@link ClusterOptions}) and these. Defaults: {@link IO_NODE_DEFAULTS}.
 *
 * @example
 * createIoNode({ port: 8081, redis: "redis://localhost:6379", cors: { origin: "*" }, pingInterval: 10_000 });
 */
export interface IoNodeOptions extends Partial<EngineServerOptions>, AttachOptions, ClusterOptions {
  /**
   * Attach to this HTTP(S) server.
   * @default none: one is created
   *
   * @example
   * createIoNode({ httpServer: https.createServer({ key, cert }).listen(443), redis });
   */
  httpServer?: HttpServer;
  /**
   * Or create an HTTP server listening on this port.
   * @default none: not listening (unless `httpServer` is)
   *
   * @example
   * createIoNode({ port: 8081, redis });
   */
  port?: number;
  /**
   * Interface to bind when `port` is given.
   * @default none: all interfaces
   *
   * @example
   * createIoNode({ port: 8081, host: "10.0.0.7", redis });
   */
  host?: string;
  /**
   * Serve the Socket.IO browser client at `<path>/socket.io.js`.
   * @default true
   *
   * @example
   * createIoNode({ port: 8081, redis, serveClient: false });
   */
  serveClient?: boolean;
  /**
   * host:port that browsers use to reach this io-node, advertised in the registry and by
   * frontend-nodes.
   * @default none: the bound address
   *
   * @example
   * createIoNode({ port: 8081, redis, publicAddress: "io1.example.com:443" });
   */
  publicAddress?: string;
  /**
   * Client packets kept per connection while no app-node can take it.
   * @default 1000
   *
   * @example
   * createIoNode({ port: 8081, redis, maxPendingPackets: 100 });
   */
  maxPendingPackets?: number;
  /**
   * ms a connection may wait for a live app-node before it is closed.
   * @default 30000
   *
   * @example
   * createIoNode({ port: 8081, redis, pendingTimeout: 60_000 });
   */
  pendingTimeout?: number;
}

/**
 * What is not Engine.IO's in an options bag: the cluster's keys, and `cluster` itself (the
 * Server's options hold the cluster's under it, next to Engine.IO's).
 */
const NOT_ENGINE_KEYS: ReadonlySet<string> = new Set<string>([...CLUSTER_KEYS, "cluster"]);

/** Engine.IO options out of a bag that may also hold cluster and Socket.IO options. */
export function stripClusterOptions<T extends object>(opts: T): Partial<EngineServerOptions> & AttachOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) if (!NOT_ENGINE_KEYS.has(k)) out[k] = v;
  return out as Partial<EngineServerOptions> & AttachOptions;
}
