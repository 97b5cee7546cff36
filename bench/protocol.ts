/**
 * The IPC protocol between the bench (servers, in the main process) and the client worker (a
 * separate process driving socket.io-client), so the client load does not run on the servers'
 * event loop.
 */
import type { LatencySummary } from "./stats";

/** Event names and room the bench application uses. */
export const EVENTS = { echo: "echo", join: "join", broadcast: "bc" } as const;
export const ROOM = "bench-room";

export type Command =
  /** Connects `count` websocket clients, spread round robin over `urls`. */
  | { cmd: "connect"; urls: string[]; count: number; timeoutMs: number }
  /** Every connected client does `rounds` emit-with-ack round trips, one after the other. */
  | { cmd: "echo"; rounds: number; maxMs: number; graceMs: number; payloadBytes: number }
  /** Every connected client asks its server to join ROOM. */
  | { cmd: "join"; timeoutMs: number }
  /** Starts counting broadcast deliveries; the worker reports each complete batch with a `batch` event. */
  | { cmd: "listen"; batchSize: number }
  /** Stops counting, after waiting for `expected` deliveries at most `graceMs`. */
  | { cmd: "unlisten"; expected: number; graceMs: number }
  /** Closes every client. */
  | { cmd: "disconnect" };

export interface ConnectResult {
  connected: number;
  failed: number;
  firstError?: string;
  /** From the first connection attempt until the last client's namespace CONNECT. */
  elapsedMs: number;
  latency: LatencySummary;
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

export type Request = Command & { id: number };
export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };
/** Unsolicited: every client received every message of broadcast batch `batch`. */
export type WorkerEvent = { event: "batch"; batch: number };
