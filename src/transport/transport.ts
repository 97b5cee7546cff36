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

/**
 * What every node of a cluster talks through: ordered inboxes for the relay hop, pub/sub for
 * fan-out, the node registry, expiring values for sessions and bounded logs for recovery. Pass a
 * ready one as `cluster.transport` to put several nodes of one process in one cluster, or
 * implement it to carry a cluster over another broker.
 *
 * @example
 * const transport = new MemoryTransport("chat");
 * const io = new Server(3000, { cluster: { transport } });
 * const ioNode = createIoNode({ port: 3001, transport });
 */
export interface Transport {
  /** "memory" or "redis", for logs and the status endpoints. */
  readonly kind: string;
  /** The cluster prefix every key and channel lives under. */
  readonly prefix: string;
  /** Batches sent and Redis connection troubles so far, for the metrics. */
  readonly stats: TransportStats;
  /**
   * Counters of the direct links between nodes (payloads sent over a link or on the streams,
   * fallbacks to the streams), for the metrics; undefined when the transport has none. Optional: a
   * transport without links leaves it out.
   *
   * @example
   * const links = transport.linkStats?.();
   * if (links) console.log(links.directSent, links.fallbacks);
   */
  linkStats?(): LinkStats | undefined;

  /**
   * Appends a payload to the inbox of node `nodeId`. Payloads to one inbox are delivered in the
   * order they were sent and survive a short loss of the connection to the broker.
   *
   * @example
   * transport.send("app-1", Buffer.from("hello"));
   */
  send(nodeId: string, payload: Buffer): void;
  /**
   * Starts delivering this node's inbox to `onPayload`, in order, until `close()`; what was sent
   * before it listened is delivered first.
   *
   * @example
   * await transport.listen("app-1", (payload) => console.log(payload.toString()));
   */
  listen(nodeId: string, onPayload: (payload: Buffer) => void): Promise<void>;
  /**
   * Drops the inbox of a node that will never read it again (it left the cluster), so what was
   * sent to it does not wait there until it expires.
   *
   * @example
   * await transport.dropInbox("app-1");
   */
  dropInbox(nodeId: string): Promise<void>;

  /**
   * Fan-out to every subscriber of `channel` in the cluster, at most once: a node that is not
   * subscribed at that moment never gets it.
   *
   * @example
   * await transport.publish("news", Buffer.from("hi"));
   */
  publish(channel: string, payload: Buffer): Promise<void>;
  /**
   * Adds a handler for `channel`; resolves once it is subscribed, with a function that removes it
   * again.
   *
   * @example
   * const unsubscribe = await transport.subscribe("news", (payload) => console.log(payload.toString()));
   * await unsubscribe();
   */
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

  /**
   * Writes a node's record in the node registry (one record per live node, refreshed by its
   * heartbeat), replacing the one it had.
   *
   * @example
   * await transport.putNode(record.id, JSON.stringify(record));
   */
  putNode(nodeId: string, record: string): Promise<void>;
  /**
   * Takes a node's record out of the registry: it left, or its heartbeat lapsed.
   *
   * @example
   * await transport.removeNode("io-1");
   */
  removeNode(nodeId: string): Promise<void>;
  /**
   * Every record in the registry, by node id, as stored (callers validate them: anyone can write
   * to Redis).
   *
   * @example
   * const records = await transport.listNodes();
   * for (const [id, raw] of Object.entries(records)) console.log(id, JSON.parse(raw));
   */
  listNodes(): Promise<Record<string, string>>;

  /**
   * Stores a value that expires by itself after `ttlMs` (connection-state-recovery sessions).
   *
   * @example
   * await transport.setValue("token", Buffer.from("abc"), 60_000);
   */
  setValue(key: string, value: Buffer, ttlMs: number): Promise<void>;
  /**
   * A value stored with {@link setValue}; null once it expired or was deleted.
   *
   * @example
   * const token = await transport.getValue("token"); // null after 60 s
   */
  getValue(key: string): Promise<Buffer | null>;
  /**
   * Deletes a value before it expires (a session restored once must not be restored twice).
   *
   * @example
   * await transport.deleteValue("token");
   */
  deleteValue(key: string): Promise<void>;

  /**
   * Appends to a bounded log and returns the entry's id, "<ms>-<seq>", ordered like Redis stream ids.
   * Used to replay the packets a recovering client missed.
   *
   * @example
   * const id = await transport.appendLog("events", Buffer.from("e1"), 1000); // "1718000000000-0"
   */
  appendLog(key: string, payload: Buffer, maxLen: number): Promise<string>;
  /**
   * The entries after `afterId`; null when `afterId` is no longer (or never was) in the log.
   *
   * @example
   * const after = await transport.readLog("events", id);
   * if (after === null) console.log("trimmed away: replay from readLogSince instead");
   */
  readLog(key: string, afterId: string): Promise<Array<{ id: string; payload: Buffer }> | null>;
  /**
   * Entries with ids after `<ms>-0`; used when a client received nothing since `ms`.
   *
   * @example
   * const missed = await transport.readLogSince("events", Date.now() - 5_000);
   */
  readLogSince(key: string, ms: number): Promise<Array<{ id: string; payload: Buffer }>>;

  /**
   * Whether node `nodeId`'s process is known to have ended, faster than its heartbeat can tell
   * (a direct link to it was open and its address now refuses connections). Optional: a transport
   * without such knowledge leaves it out and the registry's heartbeats decide.
   *
   * @example
   * if (transport.peerGone?.("app-1")) console.log("app-1 is gone");
   */
  peerGone?(nodeId: string): boolean;
  /**
   * Calls `listener` with each node found gone as {@link peerGone} tells; returns its removal.
   *
   * @example
   * const stop = transport.onPeerGone?.((nodeId) => console.log(nodeId, "is gone"));
   * stop?.();
   */
  onPeerGone?(listener: (nodeId: string) => void): () => void;

  /**
   * Rejects once the broker refuses this node for good (Redis: wrong credentials, or a command,
   * key or channel its ACL does not grant); never resolves. Optional: a transport that cannot be
   * refused leaves it out. Nodes race their start against it, so a refusal fails `ready()`.
   *
   * @example
   * const refused = transport.refused?.();
   * await (refused ? Promise.race([start(), refused]) : start());
   */
  refused?(): Promise<never>;

  /**
   * Releases every connection and timer; nothing is sent or delivered afterwards. Idempotent.
   * A transport passed as `cluster.transport` is the caller's to close, after its nodes.
   *
   * @example
   * await io.close();
   * await transport.close();
   */
  close(): Promise<void>;
}
