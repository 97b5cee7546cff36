/**
 * socket.io-cluster: the `socket.io` server API, split into io-nodes that hold connections and
 * app-nodes that run the application, joined by Redis.
 *
 * @example
 * // before: const { Server } = require("socket.io");
 * const { Server } = require("socket.io-cluster");
 * const io = new Server(3000);
 */
export { Server } from "./app-node/server";
export type { ServerOptions } from "./app-node/server";
export { IoNode, createIoNode } from "./io-node/io-node";
export type { IoNodeOptions } from "./io-node/io-node-options";
export type { ClusterOptions, RebalanceOptions } from "./options";
export { CLUSTER_DEFAULTS, CLUSTER_ENV, CLUSTER_KEYS, IO_NODE_DEFAULTS, FRONTEND_DEFAULTS } from "./defaults";
export type { MetricsOptions } from "./metrics/node-metrics";
export { RelayEngine } from "./app-node/relay-engine";
export { RelayConnection } from "./app-node/relay-connection";
export type { Transport } from "./transport/transport";
export { MemoryTransport } from "./transport/memory";
export { RedisTransport } from "./transport/redis";
export type { RedisConfig } from "./transport/redis-client";
export { SocketIoClusterError, ClusterOptionsError, RedisRefusedError, CodecError } from "./errors";
export type { NodeRecord, NodeRole } from "./cluster/node-registry";
export { Namespace, Socket } from "socket.io";
export type {
  BroadcastOperator,
  RemoteSocket,
  DisconnectReason,
  DefaultEventsMap,
  ExtendedError,
  Event,
} from "socket.io";
export * from "./legacy";
export { FrontendNode, createFrontend } from "./frontend-node/frontend-node";
export type { FrontendOptions } from "./frontend-node/frontend-node";
export type { IoServer, NodeStatus } from "./frontend-node/cluster-view";
export type { StatusReport, RoleTotals } from "./frontend-node/status-report";
export type { NodeFailure } from "./frontend-node/failure-log";
export type { ConfigJson } from "./frontend-node/config-endpoints";
