/**
 * The seam between socket.io-cluster's nodes and whatever carries their messages.
 *
 * Two implementations: `memory` (in-process, for the embedded default and tests) and `redis`
 * (ioredis, for real clusters). Every key or channel name below is relative: a transport scopes
 * it under its cluster prefix, so two clusters can share one Redis. Callers take the names from
 * `keys.ts`, which also gives each its Redis Cluster hash tag.
 */
import type { TransportStats } from "./transport-stats";
import type { LinkStats } from "./direct/stats";

export type Unsubscribe = () => Promise<void>;

export interface Transport {
  /** "memory" or "redis", for logs and the status endpoints. */
  readonly kind: string;
  /** The cluster prefix every key and channel lives under. */
  readonly prefix: string;
  /** Batches sent and Redis connection troubles so far, for the metrics. */
  readonly stats: TransportStats;
  /** Counters of the direct links, when the transport has them. */
  linkStats?(): LinkStats | undefined;

  /**
   * Appends a payload to the inbox of node `nodeId`. Payloads to one inbox are delivered in the
   * order they were sent and survive a short loss of the connection to the broker.
   */
  send(nodeId: string, payload: Buffer): void;
  /** Starts delivering this node's inbox to `onPayload`, in order, until `close()`. */
  listen(nodeId: string, onPayload: (payload: Buffer) => void): Promise<void>;
  /** Drops the inbox of a node that will never read it again. */
  dropInbox(nodeId: string): Promise<void>;

  /** Fan-out to every subscriber of `channel`, at most once. */
  publish(channel: string, payload: Buffer): Promise<void>;
  /** Adds a handler for `channel`; resolves with a function that removes it again. */
  subscribe(channel: string, onPayload: (payload: Buffer) => void): Promise<Unsubscribe>;

  /**
   * Adds a handler for every channel matching a glob `pattern` (Redis PSUBSCRIBE), NOT scoped
   * under the prefix: for channels other software publishes on (the Redis emitter). Optional: a
   * transport without pub/sub shared with others (memory) leaves it out.
   *
   * @example
   * await transport.subscribePattern?.("sioc#*", (channel, payload) => console.log(channel, payload));
   */
  subscribePattern?(pattern: string, onMessage: (channel: string, payload: Buffer) => void): Promise<Unsubscribe>;

  /** The node registry: one record per live node, refreshed by its heartbeat. */
  putNode(nodeId: string, record: string): Promise<void>;
  removeNode(nodeId: string): Promise<void>;
  /** Every record in the registry, as stored (callers validate them: anyone can write to Redis). */
  listNodes(): Promise<Record<string, string>>;

  /** A value that expires by itself (connection-state-recovery sessions). */
  setValue(key: string, value: Buffer, ttlMs: number): Promise<void>;
  getValue(key: string): Promise<Buffer | null>;
  deleteValue(key: string): Promise<void>;

  /**
   * Appends to a bounded log and returns the entry's id, "<ms>-<seq>", ordered like Redis stream ids.
   * Used to replay the packets a recovering client missed.
   */
  appendLog(key: string, payload: Buffer, maxLen: number): Promise<string>;
  /** The entries after `afterId`; null when `afterId` is no longer (or never was) in the log. */
  readLog(key: string, afterId: string): Promise<Array<{ id: string; payload: Buffer }> | null>;
  /** Entries with ids after `<ms>-0`; used when a client received nothing since `ms`. */
  readLogSince(key: string, ms: number): Promise<Array<{ id: string; payload: Buffer }>>;

  /**
   * Whether node `nodeId`'s process is known to have ended, faster than its heartbeat can tell
   * (a direct link to it was open and its address now refuses connections). Optional: a transport
   * without such knowledge leaves it out and the registry's heartbeats decide.
   */
  peerGone?(nodeId: string): boolean;
  /** Calls `listener` with each node found gone as {@link peerGone} tells; returns its removal. */
  onPeerGone?(listener: (nodeId: string) => void): () => void;

  /**
   * Rejects once the broker refuses this node for good (Redis: wrong credentials, or a command,
   * key or channel its ACL does not grant); never resolves. Optional: a transport that cannot be
   * refused leaves it out. Nodes race their start against it, so a refusal fails `ready()`.
   */
  refused?(): Promise<never>;

  /** Releases every connection and timer. Idempotent. */
  close(): Promise<void>;
}
