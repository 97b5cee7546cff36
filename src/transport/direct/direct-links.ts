import type { RedisClient } from "../redis-client";
import type { RedisKeys } from "../keys";
import { randomBytes } from "crypto";
import { debug as makeDebug, warn } from "../../log";
import { advertisedHost, DEFAULT_LINK_HOST, DEFAULT_LINK_PORT, formatAddress, LinkAddressOptions, parseAddress } from "./address";
import { LinkServer } from "./link-server";
import { PeerLink, PeerLinkContext } from "./peer-link";
import { InboxSequencer } from "./sequencer";
import { LinkStats, newLinkStats } from "./stats";
import { decodeStreamHeader, FROM_BYTES, SECRET_BYTES } from "./wire";
import { clearTimeout, setTimeout } from "../../clock";

const debug = makeDebug("transport:direct-links");

/** How long a close waits for Redis to take the last commands. */
const CLOSE_WAIT_MS = 1_000;

/** `p`, or nothing once `ms` have passed; never rejects. */
function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  return Promise.race([p.catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

/** Appends a payload (and its link header) to a node's inbox stream. */
export type StreamAppender = (nodeId: string, payload: Buffer, header: Buffer) => void;

/**
 * Direct links of one transport: a TCP connection per peer node carrying what `send` would put in
 * the peer's inbox stream, with Redis kept as the registry of link addresses (`keys.links`),
 * the holder of the cluster secret (`keys.linkSecret`) and the fallback road.
 */
export class DirectLinks {
  readonly stats: LinkStats = newLinkStats();
  /** Sender id: random per transport, so two transports of one process are two senders. */
  private readonly from = randomBytes(FROM_BYTES);
  private readonly peers = new Map<string, PeerLink>();
  private readonly sequencers = new Map<string, InboxSequencer>();
  private readonly published = new Set<string>();
  private secretPromise?: Promise<Buffer | null>;
  private serverPromise?: Promise<{ server: LinkServer; address: string } | null>;
  private readonly context: PeerLinkContext;
  private closed = false;
  private readonly goneListeners = new Set<(nodeId: string) => void>();

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: RedisKeys,
    private readonly opts: LinkAddressOptions,
    toStream: StreamAppender,
  ) {
    this.context = {
      from: this.from,
      stats: this.stats,
      toStream,
      resolve: (nodeId) => this.resolve(nodeId),
      secret: () => this.secret(),
      gone: (nodeId) => {
        debug("%s refuses connections at its link address: its process is gone", nodeId);
        for (const listener of this.goneListeners) listener(nodeId);
      },
    };
  }

  send(nodeId: string, payload: Buffer): void {
    if (this.closed) return;
    let peer = this.peers.get(nodeId);
    if (!peer) this.peers.set(nodeId, (peer = new PeerLink(nodeId, this.context)));
    peer.send(payload);
  }

  /**
   * Whether the process of `nodeId` is known to have ended: the link to it had been open and its
   * address now refuses connections. False when nothing is known (no link, or not refused yet).
   *
   * @example
   * if (links.peerGone(ioNodeId)) retireItsSockets();
   */
  peerGone(nodeId: string): boolean {
    return this.peers.get(nodeId)?.gone ?? false;
  }

  /**
   * Calls `listener` with the id of every peer whose process is found gone (see {@link peerGone});
   * returns a function that removes it.
   */
  onPeerGone(listener: (nodeId: string) => void): () => void {
    this.goneListeners.add(listener);
    return () => this.goneListeners.delete(listener);
  }

  /**
   * Creates the sequencer of an inbox and returns the handler of its stream entries: those with a
   * link header go through the sequencer with the direct link's payloads, the others (a sender
   * without direct links) straight to `deliver`.
   */
  inbox(nodeId: string, deliver: (payload: Buffer) => void): (payload: Buffer, header?: Buffer) => void {
    const sequencer = new InboxSequencer(nodeId, deliver);
    this.sequencers.set(nodeId, sequencer);
    return (payload, header) => {
      const h = header && decodeStreamHeader(header);
      if (h) sequencer.accept(h.from, h.epoch, h.seq, payload);
      else deliver(payload);
    };
  }

  /** Starts the link server (once per transport) and publishes its address for `nodeId`. */
  async publish(nodeId: string): Promise<void> {
    const started = await this.startServer();
    if (!started || this.closed) return;
    await this.redis.hset(this.keys.links, nodeId, started.address);
    this.published.add(nodeId);
    debug("%s reachable at %s", nodeId, started.address);
  }

  /** Forgets a node: its published address and, for a peer, the link and what it kept. */
  async drop(nodeId: string): Promise<void> {
    const peer = this.peers.get(nodeId);
    this.peers.delete(nodeId);
    this.published.delete(nodeId);
    await Promise.all([peer?.close(false), this.redis.hdel(this.keys.links, nodeId)]);
  }

  /**
   * Closes links (their unreceipted payloads go to the streams, before the caller's Redis quits),
   * the server and the sequencers, and removes this transport's addresses (waiting at most
   * `CLOSE_WAIT_MS` for a Redis that may be away).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // deliver nothing more: the node above is going away
    for (const s of this.sequencers.values()) s.close();
    const closing: Array<Promise<void>> = [...this.peers.values()].map((p) => p.close(true));
    this.peers.clear();
    // awaited (boundedly): an auto-pipelined command queued now would otherwise miss the QUIT,
    // and it carries the streamed leftovers of the links with it
    const removed = this.published.size > 0 ? this.redis.hdel(this.keys.links, ...this.published) : this.redis.ping();
    closing.push(withTimeout(removed.then(() => undefined), CLOSE_WAIT_MS));
    const started = await this.serverPromise?.catch(() => null);
    if (started) closing.push(started.server.close());
    await Promise.all(closing);
  }

  /** The link of a peer, for tests. @internal */
  peer(nodeId: string): PeerLink | undefined {
    return this.peers.get(nodeId);
  }

  /** The server's accepted connections, for tests. @internal */
  async acceptedSockets(): Promise<import("net").Socket[]> {
    const started = await this.serverPromise;
    return started ? started.server.liveSockets() : [];
  }

  private startServer(): Promise<{ server: LinkServer; address: string } | null> {
    this.serverPromise ??= (async () => {
      const secret = await this.secret();
      if (!secret || this.closed) return null;
      const server = new LinkServer(secret, this.sequencers, this.stats);
      try {
        const port = await server.listen(this.opts.host ?? DEFAULT_LINK_HOST, this.opts.port ?? DEFAULT_LINK_PORT);
        return { server, address: formatAddress(advertisedHost(this.opts), port) };
      } catch (err) {
        warn("link-listen", `direct links off: cannot listen on ${this.opts.host ?? DEFAULT_LINK_HOST}:${this.opts.port ?? DEFAULT_LINK_PORT}: ${(err as Error).message}`);
        await server.close();
        return null;
      }
    })().catch((err: Error) => {
      this.serverPromise = undefined;
      throw err;
    });
    return this.serverPromise;
  }

  /** The cluster secret: created once by whichever node comes first, read by all. */
  private secret(): Promise<Buffer | null> {
    this.secretPromise ??= (async () => {
      const key = this.keys.linkSecret;
      await this.redis.set(key, randomBytes(SECRET_BYTES).toString("hex"), "NX");
      const hex = await this.redis.get(key);
      if (!hex || !/^[0-9a-f]+$/.test(hex) || hex.length !== SECRET_BYTES * 2) {
        warn("link-secret", `${key} does not hold a ${SECRET_BYTES}-byte hex secret: direct links off, streams only`);
        return null;
      }
      return Buffer.from(hex, "hex");
    })().catch((err: Error) => {
      // Redis was away: try again with the next link
      this.secretPromise = undefined;
      throw err;
    });
    return this.secretPromise;
  }

  private async resolve(nodeId: string): Promise<{ host: string; port: number } | null> {
    const raw = await this.redis.hget(this.keys.links, nodeId);
    const address = parseAddress(raw);
    if (raw && !address) warn("link-address", `${this.keys.links} holds "${raw.slice(0, 80)}" for ${nodeId}: not an address`);
    return address;
  }
}
