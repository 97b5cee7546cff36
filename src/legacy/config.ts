import type { ClusterOptions } from "../options";

/**
 * The original project's config object, plus our own keys. Every key is optional; Redis comes
 * from REDIS_URL, or REDIS_HOST/PORT/PASSWORD/DATABASE, or the SOCKET_IO_CLUSTER_REDIS_URL env.
 *
 * @example
 * const config = { REDIS_HOST: "127.0.0.1", REDIS_PORT: 6379, HTTP_PORT: 8080 };
 */
export interface LegacyConfig {
  /** Address the frontend (and an io-node without frontend) listens on. @default "0.0.0.0" */
  HTTP_HOST?: string;
  /** Port of the frontend (and of an io-node without frontend). @default 80 */
  HTTP_PORT?: number;
  /** Redis host; set it or `REDIS_PORT` to join Redis. @default "127.0.0.1" (when `REDIS_PORT` is set) */
  REDIS_HOST?: string;
  /** Redis port. @default 6379 (when `REDIS_HOST` is set) */
  REDIS_PORT?: number;
  /** Redis password, if the server asks for one. */
  REDIS_PASSWORD?: string;
  /** Redis database number. @default 0 */
  REDIS_DATABASE?: number;
  /** Where the frontend serves the list of io-nodes. @default "/config.js" */
  CLIENT_CONFIG_URL?: string;
  /**
   * The original's static io-node list. The frontend now lists the io-nodes that are alive; this is
   * kept for configs that set it, and is not used.
   */
  IO_SERVERS?: Array<{ internal?: string; external?: string; port: number }>;
  /** Ours: a Redis URL; it wins over `REDIS_HOST`/`REDIS_PORT`/…. */
  REDIS_URL?: string;
  /**
   * Ours: the cluster's key prefix (`ClusterOptions.prefix`).
   * @default process.env.SOCKET_IO_CLUSTER_PREFIX ?? "sioc"
   */
  PREFIX?: string;
  /**
   * Ours: ms between two heartbeats of a node (`ClusterOptions.heartbeatInterval`).
   * @default process.env.SOCKET_IO_CLUSTER_HEARTBEAT_INTERVAL ?? 1000
   */
  HEARTBEAT_INTERVAL?: number;
  /**
   * Ours: ms without heartbeat after which a node is dead (`ClusterOptions.nodeTimeout`).
   * @default process.env.SOCKET_IO_CLUSTER_NODE_TIMEOUT ?? 5000
   */
  NODE_TIMEOUT?: number;
}

export const LEGACY_DEFAULTS = {
  HTTP_HOST: "0.0.0.0",
  HTTP_PORT: 80,
  CLIENT_CONFIG_URL: "/config.js",
} as const;

/** The cluster options a legacy config stands for. */
export function clusterOptionsFrom(config: LegacyConfig = {}): ClusterOptions {
  const hasHost = config.REDIS_HOST !== undefined || config.REDIS_PORT !== undefined;
  const redis =
    config.REDIS_URL ??
    (hasHost
      ? {
          host: config.REDIS_HOST ?? "127.0.0.1",
          port: Number(config.REDIS_PORT ?? 6379),
          password: config.REDIS_PASSWORD,
          db: Number(config.REDIS_DATABASE ?? 0),
        }
      : undefined);
  return {
    redis,
    prefix: config.PREFIX,
    heartbeatInterval: config.HEARTBEAT_INTERVAL,
    nodeTimeout: config.NODE_TIMEOUT,
  };
}
