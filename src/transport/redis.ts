import { debug as makeDebug, warn } from "../log";
import { Transport, Unsubscribe } from "./transport";
import { newTransportStats } from "./transport-stats";
import { DirectLinks } from "./direct/direct-links";
import type { LinkAddressOptions } from "./direct/address";
import type { LinkStats } from "./direct/stats";
import { clearInterval, now as clockNow, setInterval, setTimeout } from "../clock";
import { createRedisClient, duplicateSubscriber, isCluster, RedisClient, RedisConfig } from "./redis-client";
import { RedisKeys } from "./keys";
import { RedisRefusedError, refusalOf } from "./redis-refusal";

const debug = makeDebug("transport:redis");

export interface RedisTransportOptions {
  /** Max entries kept in a node's inbox stream (approximate trim). @default 100000 */
  maxInboxLength?: number;
  /** How many inbox entries one read takes at most. @default 512 */
  readBatch?: number;
  /** ms after the last write at which an inbox stream expires. @default 60000 */
  inboxTtl?: number;
  /**
   * Carry `send` over direct TCP links between nodes (Redis stays the registry of their addresses
   * and the fallback); `false` keeps every payload on the inbox streams. An object sets where the
   * link server listens and what it advertises.
   * @default true
   */
  directLinks?: boolean | LinkAddressOptions;
}

/** One inbox entry: the payload is stored under this field... */
const FIELD = "p";
/** ...and, when a direct link sent it, its (from, epoch, seq) under this one. */
const HEADER_FIELD = "h";

function isHeaderField(name: Buffer): boolean {
  return name.length === 1 && name[0] === HEADER_FIELD.charCodeAt(0);
}

/**
 * Redis transport: inboxes are streams (ordered, kept across a reconnect, trimmed by their reader),
 * fan-out is pub/sub, the registry is one hash, sessions are expiring strings. Works against one
 * Redis (direct or behind Sentinels) and against a Redis Cluster: every name comes from
 * {@link RedisKeys} with a hash tag, no command touches two slots, and on a Cluster the pub/sub of
 * the cluster's own channels is sharded (SPUBLISH/SSUBSCRIBE), so a message reaches the one shard
 * that serves its channel rather than every node.
 *
 * Nodes create their own from `cluster.redis`; make one yourself to share its connections among
 * several nodes of one process (then close it after them).
 *
 * @example
 * const transport = new RedisTransport("redis://localhost:6379", "chat");
 * const io = new Server(3000, { cluster: { transport } });
 * const ioNode = createIoNode({ port: 3001, transport });
 * // later
 * await Promise.all([io.close(), ioNode.close()]);
 * await transport.close();
 */
export class RedisTransport implements Transport {
  readonly stats = newTransportStats();
  readonly kind = "redis";
  private readonly cmd: RedisClient;
  private readonly ownsCmd: boolean;
  private readonly sub: RedisClient;
  private readonly readers: RedisClient[] = [];
  private readonly keys: RedisKeys;
  /** SPUBLISH/SSUBSCRIBE rather than PUBLISH/SUBSCRIBE: on a Cluster, chosen once. */
  private readonly sharded: boolean;
  private readonly handlers = new Map<string, Set<(payload: Buffer) => void>>();
  private readonly patternHandlers = new Map<string, Set<(channel: string, payload: Buffer) => void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly maxInboxLength: number;
  private readonly readBatch: number;
  private readonly inboxTtl: number;
  /** When each inbox's expiry was last pushed back. */
  private readonly expiresRefreshed = new Map<string, number>();
  private closed = false;
  private closing?: Promise<void>;
  /** Set once the links have flushed: the command connection is about to quit. */
  private quitting = false;
  /** Direct links, unless turned off. @internal */
  readonly links?: DirectLinks;
  /** Rejects once Redis refuses this node's user (see {@link refused}). */
  private readonly refusal: Promise<never>;
  private refuse!: (err: RedisRefusedError) => void;
  private refusedWith?: RedisRefusedError;

  constructor(config: RedisConfig, readonly prefix: string, opts: RedisTransportOptions = {}) {
    const { client, owned } = createRedisClient(config);
    this.cmd = client;
    this.ownsCmd = owned;
    this.sub = duplicateSubscriber(client);
    this.keys = new RedisKeys(prefix);
    this.sharded = isCluster(client);
    this.refusal = new Promise<never>((_resolve, reject) => (this.refuse = reject));
    // nobody may be asking (a node that started already): the warning below is the operator's
    this.refusal.catch(() => undefined);
    this.maxInboxLength = opts.maxInboxLength ?? 100_000;
    this.readBatch = opts.readBatch ?? 512;
    this.inboxTtl = opts.inboxTtl ?? 60_000;
    const links = opts.directLinks ?? true;
    if (links !== false) {
      const address = links === true ? {} : links;
      this.links = new DirectLinks(this.cmd, this.keys, address, (nodeId, payload, header) =>
        this.appendInbox(nodeId, payload, header),
      );
    }
    for (const [name, conn] of [["commands", this.cmd], ["subscriber", this.sub]] as const) {
      conn.on("error", (err: Error) => {
        this.stats.redisErrors++;
        if (!this.note(err)) warn(`redis-${name}`, `redis ${name} connection: ${err.message}`);
      });
      conn.on("reconnecting", () => this.stats.redisReconnects++);
    }
    // only fires for PSUBSCRIBE patterns (the emitter bridge); our own channels are exact
    this.sub.on("pmessageBuffer", (pattern: string | Buffer, channel: Buffer, message: Buffer) => this.onPatternMessage(pattern, channel, message));
    this.sub.on(this.sharded ? "smessageBuffer" : "messageBuffer", (channel: Buffer, message: Buffer) => {
      const handlers = this.handlers.get(channel.toString());
      if (!handlers) return;
      for (const handler of handlers) {
        try {
          handler(message);
        } catch (err) {
          warn("redis-handler", `handler for ${channel} threw: ${(err as Error).stack}`);
        }
      }
    });
  }

  private onPatternMessage(pattern: string | Buffer, channel: Buffer, message: Buffer): void {
    const handlers = this.patternHandlers.get(pattern.toString());
    if (!handlers) return;
    const name = channel.toString();
    for (const handler of handlers) {
      try {
        handler(name, message);
      } catch (err) {
        warn("redis-handler", `handler for ${name} threw: ${(err as Error).stack}`);
      }
    }
  }

  private key(name: string): string {
    return this.keys.scope(name);
  }

  /**
   * Rejects with a {@link RedisRefusedError} once Redis refuses this node's user: wrong
   * credentials (then every connection of this transport stops retrying) or a command, key or
   * channel its ACL does not grant. Never resolves. Nodes race their start against it.
   *
   * @example
   * await Promise.race([start(), transport.refused()]);
   */
  refused(): Promise<never> {
    return this.refusal;
  }

  /** Records `err` if it is a refusal (warned once); returns the refusal, or undefined. */
  private note(err: Error): RedisRefusedError | undefined {
    const refusal = refusalOf(err);
    if (!refusal) return undefined;
    if (this.refusedWith) return refusal;
    this.refusedWith = refusal;
    warn("redis-refused", refusal.message.replace(/^socket\.io-cluster: /, ""));
    this.refuse(refusal);
    if (refusal.reason === "credentials") {
      // re-authenticating with the same credentials fails the same way, forever
      for (const reader of this.readers) reader.disconnect();
      this.sub.disconnect();
      if (this.ownsCmd) this.cmd.disconnect();
    }
    return refusal;
  }

  /** `command`, with a refusal among its errors turned into the clear one. */
  private async run<T>(command: Promise<T>): Promise<T> {
    try {
      return await command;
    } catch (err) {
      throw this.note(err as Error) ?? err;
    }
  }

  send(nodeId: string, payload: Buffer): void {
    if (this.closed) return;
    this.stats.batchesSent++;
    this.stats.batchBytesSent += payload.length;
    if (this.links) this.links.send(nodeId, payload);
    else this.appendInbox(nodeId, payload);
  }

  /** Counters of the direct links; undefined when they are off. */
  linkStats(): LinkStats | undefined {
    return this.links?.stats;
  }

  private appendInbox(nodeId: string, payload: Buffer, header?: Buffer): void {
    if (this.quitting) return;
    const key = this.keys.inbox(nodeId);
    const failed = (err: Error) => {
      if (!this.note(err)) warn("redis-send", `could not send to ${nodeId}: ${err.message}`);
    };
    const add = header
      ? this.cmd.xadd(key, "MAXLEN", "~", this.maxInboxLength, "*", FIELD, payload, HEADER_FIELD, header)
      : this.cmd.xadd(key, "MAXLEN", "~", this.maxInboxLength, "*", FIELD, payload);
    add.catch(failed);
    // an inbox nobody writes to any more (its node is gone) expires by itself; refreshing the
    // expiry a few times per TTL is enough, not on every batch
    const now = clockNow();
    if ((this.expiresRefreshed.get(key) ?? 0) < now - this.inboxTtl / 4) {
      this.expiresRefreshed.set(key, now);
      this.cmd.pexpire(key, this.inboxTtl).catch(failed);
    }
  }

  async listen(nodeId: string, onPayload: (payload: Buffer) => void): Promise<void> {
    const reader = this.cmd.duplicate();
    reader.on("error", (err: Error) => {
      this.stats.redisErrors++;
      if (!this.note(err)) warn("redis-reader", `redis inbox reader: ${err.message}`);
    });
    reader.on("reconnecting", () => this.stats.redisReconnects++);
    this.readers.push(reader);
    const key = this.keys.inbox(nodeId);
    const onEntry = this.links ? this.links.inbox(nodeId, onPayload) : (payload: Buffer) => onPayload(payload);
    let lastId = "0";
    // the reader trims what it has consumed, so a stream never grows with read entries
    const trim = setInterval(() => {
      if (lastId !== "0") this.cmd.xtrim(key, "MINID", lastId).catch(() => undefined);
    }, 2_000);
    trim.unref();
    this.timers.push(trim);
    const loop = async () => {
      while (!this.closed) {
        try {
          const res = (await reader.xreadBuffer(
            "COUNT",
            this.readBatch,
            "BLOCK",
            2_000,
            "STREAMS",
            key,
            lastId,
          )) as Array<[Buffer, Array<[Buffer, Buffer[]]>]> | null;
          if (!res) continue;
          for (const [, entries] of res) {
            for (const [id, fields] of entries) {
              if (this.closed) return;
              lastId = id.toString();
              const payload = fields[1];
              if (!payload) continue;
              // fields: "p", payload[, "h", link header]; an entry without a header is a plain one
              const header = fields.length >= 4 && isHeaderField(fields[2]) ? fields[3] : undefined;
              try {
                onEntry(payload, header);
              } catch (err) {
                warn("inbox-handler", `inbox handler threw: ${(err as Error).stack}`);
              }
            }
          }
        } catch (err) {
          if (this.closed) return;
          // a refused read (NOPERM) is the operator's to fix; retrying keeps the node going when they do
          this.note(err as Error);
          debug("inbox read failed: %s", (err as Error).message);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    };
    void loop();
    try {
      await this.links?.publish(nodeId);
    } catch (err) {
      if (!this.note(err as Error)) {
        warn("link-publish", `${nodeId}: direct link not published, peers use the stream: ${(err as Error).message}`);
      }
    }
  }

  async dropInbox(nodeId: string): Promise<void> {
    await this.run(Promise.all([this.cmd.del(this.keys.inbox(nodeId)), this.links?.drop(nodeId)]));
  }

  async publish(channel: string, payload: Buffer): Promise<void> {
    const name = this.key(channel);
    await this.run(this.sharded ? this.cmd.spublish(name, payload) : this.cmd.publish(name, payload));
  }

  async subscribe(channel: string, onPayload: (payload: Buffer) => void): Promise<Unsubscribe> {
    const name = this.key(channel);
    let set = this.handlers.get(name);
    if (!set) {
      this.handlers.set(name, (set = new Set()));
      await this.run(this.sharded ? this.sub.ssubscribe(name) : this.sub.subscribe(name));
    }
    const handler = (payload: Buffer) => onPayload(payload);
    set.add(handler);
    return async () => {
      const current = this.handlers.get(name);
      if (!current?.delete(handler) || current.size > 0) return;
      this.handlers.delete(name);
      if (this.closed) return;
      await (this.sharded ? this.sub.sunsubscribe(name) : this.sub.unsubscribe(name)).catch(() => undefined);
    };
  }

  async subscribePattern(pattern: string, onMessage: (channel: string, payload: Buffer) => void): Promise<Unsubscribe> {
    let set = this.patternHandlers.get(pattern);
    if (!set) {
      this.patternHandlers.set(pattern, (set = new Set()));
      await this.sub.psubscribe(pattern);
    }
    const handler = (channel: string, payload: Buffer) => onMessage(channel, payload);
    set.add(handler);
    return async () => {
      const current = this.patternHandlers.get(pattern);
      if (!current?.delete(handler) || current.size > 0) return;
      this.patternHandlers.delete(pattern);
      if (!this.closed) await this.sub.punsubscribe(pattern).catch(() => undefined);
    };
  }

  async putNode(nodeId: string, record: string): Promise<void> {
    await this.run(this.cmd.hset(this.keys.nodes, nodeId, record));
  }

  async removeNode(nodeId: string): Promise<void> {
    await this.run(this.cmd.hdel(this.keys.nodes, nodeId));
  }

  async listNodes(): Promise<Record<string, string>> {
    const type = await this.run(this.cmd.type(this.keys.nodes));
    if (type !== "hash" && type !== "none") {
      warn("registry-type", `${this.keys.nodes} is a ${type}, not a hash: ignoring it`);
      return {};
    }
    return this.run(this.cmd.hgetall(this.keys.nodes));
  }

  async setValue(key: string, value: Buffer, ttlMs: number): Promise<void> {
    await this.run(this.cmd.set(this.key(key), value, "PX", Math.max(1, Math.round(ttlMs))));
  }

  async getValue(key: string): Promise<Buffer | null> {
    return this.run(this.cmd.getBuffer(this.key(key)));
  }

  async deleteValue(key: string): Promise<void> {
    await this.run(this.cmd.del(this.key(key)));
  }

  async appendLog(key: string, payload: Buffer, maxLen: number): Promise<string> {
    const id = await this.run(this.cmd.xadd(this.key(key), "MAXLEN", "~", maxLen, "*", FIELD, payload));
    return id as string;
  }

  async readLog(key: string, afterId: string): Promise<Array<{ id: string; payload: Buffer }> | null> {
    if (!/^[0-9]+-[0-9]+$/.test(afterId)) return null;
    const anchor = await this.run(this.cmd.xrange(this.key(key), afterId, afterId));
    if (anchor.length === 0) return null;
    return this.range(key, `(${afterId}`);
  }

  async readLogSince(key: string, ms: number): Promise<Array<{ id: string; payload: Buffer }>> {
    return this.range(key, `(${Math.floor(ms)}-0`);
  }

  private async range(key: string, start: string): Promise<Array<{ id: string; payload: Buffer }>> {
    const entries = (await this.run(this.cmd.xrangeBuffer(this.key(key), start, "+"))) as Array<[Buffer, Buffer[]]>;
    return entries.filter(([, f]) => f[1]).map(([id, f]) => ({ id: id.toString(), payload: f[1] }));
  }

  peerGone(nodeId: string): boolean {
    return this.links?.peerGone(nodeId) ?? false;
  }

  onPeerGone(listener: (nodeId: string) => void): () => void {
    return this.links?.onPeerGone(listener) ?? (() => undefined);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    // nothing is sent or delivered from now on...
    this.closed = true;
    this.timers.forEach(clearInterval);
    this.handlers.clear();
    // ...but what the links did not get receipted goes to the streams while Redis is still there
    await this.links?.close();
    this.quitting = true;
    for (const reader of this.readers) reader.disconnect();
    this.sub.disconnect();
    if (!this.ownsCmd) return;
    if (this.cmd.status !== "ready") {
      this.cmd.disconnect();
      return;
    }
    // flush what is queued, but never wait on a Redis that has gone away
    const quit = this.cmd.quit().catch(() => undefined);
    const timeout = new Promise((r) => setTimeout(r, 1_000).unref());
    await Promise.race([quit, timeout]);
    this.cmd.disconnect();
  }
}
