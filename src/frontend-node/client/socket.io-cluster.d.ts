/**
 * Types of the socket.io-cluster client helper (socket.io-cluster.js beside this file), served by
 * frontend-nodes at /socket.io-cluster.js and meant for `require("socket.io-cluster/client")`.
 */
import type { ManagerOptions, Socket, SocketOptions } from "socket.io-client";

/** An io-node as the helper uses it. */
export interface ClusterServer {
  host: string;
  port: number;
  secure: boolean;
  /** `http(s)://host:port`, what the Manager connects to. */
  url: string;
  /** The io-node's id, when the list came from a frontend. */
  id?: string;
  /** Its connections at the frontend's last look, when the list came from a frontend. */
  connections?: number;
}

/** How to name an io-node in `servers`: `"host:port"`, a URL, or `{ host, port }` as in `SOCKET_SERVERS`. */
export type ServerSpec = string | { host: string; port?: number; secure?: boolean };

export interface ClusterConnectOptions extends Partial<ManagerOptions & SocketOptions> {
  /**
   * URL of a frontend-node; its /config.json is read at start and before each failover.
   * @default in a browser, the page's origin unless `servers` is given
   */
  frontend?: string;
  /** io-nodes to use (all of them, or until the frontend answers). */
  servers?: ServerSpec[];
  /** @default "/" */
  namespace?: string;
  /** @default "/config.json" */
  configPath?: string;
  /** ms an io-node that failed is skipped, unless every io-node failed. @default 30000 */
  avoidFailedFor?: number;
  /** Called with the io-node of each connection attempt. */
  onServer?: (server: ClusterServer) => void;
}

export interface ClusterInfo {
  /** The io-node of the current (or last) connection attempt. */
  readonly server: ClusterServer | null;
  /** The last known live io-nodes, least loaded first. */
  readonly servers: ClusterServer[];
  /** Reads the frontend's list again. */
  refresh(): Promise<ClusterServer[]>;
}

export type ClusterSocket<
  ListenEvents extends Record<string, any> = Record<string, (...args: any[]) => void>,
  EmitEvents extends Record<string, any> = ListenEvents,
> = Socket<ListenEvents, EmitEvents> & { readonly cluster: ClusterInfo };

/**
 * Connects to the least loaded live io-node and, on a failed attempt or an unexpected disconnect,
 * lets Socket.IO's reconnection continue on the next live one. Returns the socket.io-client Socket
 * itself: handlers, buffered emits and connection state recovery carry over.
 *
 * @example
 * const socket = connect({ frontend: "http://localhost:8080" });
 * socket.on("connect", () => console.log(socket.cluster.server?.url));
 */
export function connect<
  ListenEvents extends Record<string, any> = Record<string, (...args: any[]) => void>,
  EmitEvents extends Record<string, any> = ListenEvents,
>(options?: ClusterConnectOptions): ClusterSocket<ListenEvents, EmitEvents>;

/** The live io-nodes listed by a frontend's /config.json, least loaded first. */
export function fetchServers(frontend: string, configPath?: string): Promise<ClusterServer[]>;
