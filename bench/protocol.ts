/**
 * The IPC messages between the bench (bench/main.ts) and its child processes: the server processes
 * (server-node.ts, one per node of a target) and the client processes (client-worker.ts with
 * socket.io-client, idle-worker.ts with bare websockets). Every child answers a request
 * `{ id, cmd, ... }` with `{ id, ok, result | error }`, and may send events `{ event, ... }`.
 */
import type { LatencySummary } from "./stats";

/** Event names and room the bench application uses. */
export const EVENTS = { echo: "echo", join: "join", broadcast: "bc" } as const;
export const ROOM = "bench-room";

/** What a server process is. */
export type NodeRole = "server" | "io-node" | "app-node";

export type ServerKind = "plain" | "redis-adapter" | "embedded" | "colocated" | "io-node" | "app-node";

/** How a server process is started: passed as JSON in BENCH_NODE. */
export interface NodeSpec {
  kind: ServerKind;
  /** Where socket.io-cluster is loaded from: "dist" or "src". */
  library: "dist" | "src";
  redisUrl?: string;
  prefix?: string;
  /** io-nodes: ready once they see this many app-nodes; app-nodes and adapter servers: this many peers. */
  expectApps?: number;
  expectPeers?: number;
}

/** Sent once by a server process when it is ready for clients. */
export interface ReadyEvent {
  event: "ready";
  role: NodeRole;
  /** Client URL, for the processes that hold client connections. */
  url?: string;
  pid: number;
}

/** A server process's figures, on request. */
export interface NodeStats {
  cpu: NodeJS.CpuUsage;
  rss: number;
  heapUsed: number;
  /**
   * Bytes of RSS that are V8's young generation (new space): empty after a full GC, yet resident.
   * V8 grows it with the allocation rate up to a fixed cap, once per process, whatever the
   * connection count: the idle workload leaves it out of its RSS figure.
   */
  youngResident: number;
  /** Sockets in the main namespace (servers, app-nodes) or connections held (io-nodes). */
  sockets: number;
}

export type ServerCommand =
  | { cmd: "stats"; gc?: boolean }
  /** Emits `count` messages of broadcast batch `batch` to ROOM (the broadcasting server only). */
  | { cmd: "emit"; batch: number; count: number }
  /** Closes the servers and exits (so that a --cpu-prof profile gets written). */
  | { cmd: "exit" };

export type PayloadKind = { type: "json"; bytes: number } | { type: "binary"; bytes: number };

export type ClientCommand =
  /** Connects `count` websocket clients, spread round robin over `urls`, all at once. */
  | { cmd: "connect"; urls: string[]; count: number; timeoutMs: number }
  /** Every connected client does `rounds` emit-with-ack round trips, one after the other. */
  | { cmd: "echo"; rounds: number; maxMs: number; graceMs: number; payload: PayloadKind }
  /** Open loop: `rate` round trips per second in total, round robin over the clients, for `durationMs`. */
  | { cmd: "fixed-rate"; rate: number; durationMs: number; graceMs: number; payload: PayloadKind }
  /** Every connected client asks its server to join ROOM. */
  | { cmd: "join"; timeoutMs: number }
  /** Starts counting broadcast deliveries; the worker reports each complete batch with a `batch` event. */
  | { cmd: "listen"; batchSize: number }
  /** Stops counting, after waiting for `expected` deliveries at most `graceMs`. */
  | { cmd: "unlisten"; expected: number; graceMs: number }
  /** Closes every client. */
  | { cmd: "disconnect" };

export type IdleCommand =
  /** Opens `count` idle Socket.IO connections (websocket), at most `concurrency` handshakes at a time. */
  | { cmd: "open"; urls: string[]; count: number; concurrency: number; timeoutMs: number }
  | { cmd: "disconnect" };

export interface ConnectResult {
  connected: number;
  failed: number;
  firstError?: string;
  /** From the first connection attempt until the last client's namespace CONNECT. */
  elapsedMs: number;
  /** Per client, ms from the start until it was connected. */
  samples: number[];
}

export interface EchoResult {
  completed: number;
  elapsedMs: number;
  /** The time cap stopped the loop before every round trip was done. */
  capped: boolean;
  /** In-flight round trips that did not come back within the grace period. */
  lost: number;
  latency: LatencySummary;
}

export interface ListenResult {
  received: number;
  /** Epoch ms (see stats.nowMs) of the last delivery. */
  lastAt: number;
  latency: LatencySummary;
}

export interface OpenResult {
  opened: number;
  failed: number;
  firstError?: string;
  elapsedMs: number;
}

export type Request<C> = C & { id: number };
export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
/** Unsolicited: every client received every message of broadcast batch `batch`. */
export type BatchEvent = { event: "batch"; batch: number };
