import { connect, Socket } from "net";
import { randomBytes } from "crypto";
import { debug as makeDebug, warn } from "../../log";
import { KEEPALIVE_MS } from "./inbound-link";
import { LinkStats } from "./stats";
import {
  decodeSeqBody,
  encodeDataHeader,
  encodeHello,
  encodeStreamHeader,
  FrameReader,
  FrameType,
  MAX_REPLY_BYTES,
} from "./wire";
import { clearTimeout, setTimeout } from "../../clock";

const debug = makeDebug("transport:peer-link");

/** Unreceipted payloads kept for replay; past either bound the oldest is dropped (and logged). */
const MAX_UNRECEIPTED = 100_000;
const MAX_UNRECEIPTED_BYTES = 256 * 1024 * 1024;
/**
 * While the stream carries a link to a peer that has an address, the latest payloads are kept
 * too (within these bounds, silently): when the direct link comes back they are replayed over it,
 * so the receiver need not wait for the stream to catch up (or for Redis to come back).
 */
const STREAM_WINDOW = 4_096;
const STREAM_WINDOW_BYTES = 8 * 1024 * 1024;
/** A connect or hello that has not been welcomed by then has failed. */
const CONNECT_TIMEOUT_MS = 3_000;
/** After a failed try where the peer had welcomed us, the next look for a listener there. */
const PROBE_AGAIN_MS = 100;
/** Back-off between two tries of the direct link while the stream carries the payloads. */
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

/** What a link needs from its transport. */
export interface PeerLinkContext {
  /** Sender id of this transport (random per instance). */
  readonly from: Buffer;
  readonly stats: LinkStats;
  /** The peer's link address, or null when it has none (no direct links there, or not yet). */
  resolve(nodeId: string): Promise<{ host: string; port: number } | null>;
  /** The cluster secret, or null when direct links cannot be used. */
  secret(): Promise<Buffer | null>;
  /** Appends to the peer's inbox stream, with the (from, epoch, seq) header. */
  toStream(nodeId: string, payload: Buffer, header: Buffer): void;
  /** The peer's process is gone: its address, which welcomed us before, now refuses connections. */
  gone(nodeId: string): void;
}

type State = "connecting" | "open" | "stream" | "closed";

/**
 * The sending end of one (this transport -> node) link. Every payload gets the next seq of this
 * link's epoch. While a TCP connection to the peer is open, payloads are written to it and kept
 * until the peer's receipt covers them; a dropped connection is re-opened and what was not
 * receipted is written again (the receiver drops what it already delivered). When the peer cannot
 * be reached directly, the kept payloads and every later one go to its inbox stream instead, and
 * the direct link is tried again with back-off.
 */
export class PeerLink {
  /** New for each link object: the receiver never confuses this link's seqs with a former one's. */
  readonly epoch = randomBytes(4).readUInt32BE(0);
  private state: State = "connecting";
  private lastSeq = 0;
  /** Payloads not receipted yet, oldest first; `unreceipted[i]` has seq `firstSeq + i - head`. */
  private unreceipted: Buffer[] = [];
  private head = 0;
  private firstSeq = 1;
  private unreceiptedBytes = 0;
  private socket?: Socket;
  private retryTimer?: NodeJS.Timeout;
  private failures = 0;
  /** Highest seq handed to the stream: a flush never streams a payload twice. */
  private streamedUpTo = 0;
  /** Keep the stream window: the peer has an address, the direct link is expected back. */
  private keepWindow = false;
  /** Where the peer last welcomed us. */
  private address?: { host: string; port: number };
  /**
   * The address that welcomed us refused a new connection since: nothing listens there any more,
   * so the peer's process has ended (a process that is only slow or cut off would not refuse).
   */
  private refused = false;
  /** "host:port" of the last welcome; unlike `address`, kept when a try there fails. */
  private welcomedAt?: string;

  constructor(
    readonly nodeId: string,
    private readonly ctx: PeerLinkContext,
  ) {
    void this.open();
  }

  send(payload: Buffer): void {
    const seq = ++this.lastSeq;
    if (this.state === "closed") return;
    if (this.state === "stream") {
      this.streamOne(seq, payload);
      if (!this.keepWindow) return;
    }
    if (this.unreceipted.length === this.head) this.firstSeq = seq;
    this.unreceipted.push(payload);
    this.unreceiptedBytes += payload.length;
    this.bound();
    if (this.state === "open") {
      const socket = this.socket!;
      socket.cork();
      this.write(socket, seq, payload);
      socket.uncork();
    }
  }

  /**
   * Ends the link. `flush`: hand what the peer has not receipted to its stream (a clean close: the
   * receiver drops any it already had); otherwise it is discarded (the peer is dead).
   */
  close(flush: boolean): Promise<void> {
    if (this.state === "closed") return Promise.resolve();
    this.state = "closed";
    if (flush) this.flushToStream();
    clearTimeout(this.retryTimer);
    this.unreceipted = [];
    this.head = 0;
    this.unreceiptedBytes = 0;
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once("close", () => resolve());
      // end: what was written still reaches the peer; destroy soon if the peer does not answer
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
    });
  }

  /** The open TCP connection, for tests that cut it. @internal */
  get connection(): Socket | undefined {
    return this.state === "open" ? this.socket : undefined;
  }

  /** Whether the peer's process is known to be gone (see {@link PeerLinkContext.gone}). */
  get gone(): boolean {
    return this.refused;
  }

  /** Payloads kept for replay. @internal */
  get pending(): number {
    return this.unreceipted.length - this.head;
  }

  /**
   * Resolves the peer and connects. From the stream state this is a probe: payloads keep going to
   * the stream until the peer welcomes us (the receiver reorders the two roads).
   */
  private async open(): Promise<void> {
    if (this.state !== "stream") this.state = "connecting";
    // the address that worked last time needs no Redis: a dropped link comes back during an outage
    let address: { host: string; port: number } | null = this.address ?? null;
    let secret: Buffer | null = null;
    try {
      [address, secret] = await Promise.all([address ?? this.ctx.resolve(this.nodeId), this.ctx.secret()]);
    } catch (err) {
      debug("link to %s: no address (%s)", this.nodeId, (err as Error).message);
    }
    // the link may have been closed while the lookups were on their way
    if ((this.state as State) === "closed") return;
    this.keepWindow = address !== null && secret !== null;
    if (!address || !secret) return this.fallBack(address ? "direct links unavailable" : "no link address");
    const socket = connect({ host: address.host, port: address.port });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.setKeepAlive(true, KEEPALIVE_MS);
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy(new Error("no welcome in time")));
    socket.write(encodeHello({ secret, from: this.ctx.from, epoch: this.epoch, target: this.nodeId }));
    const reader = new FrameReader(MAX_REPLY_BYTES);
    const onFrame = (type: number, body: Buffer): boolean => {
      const seq = decodeSeqBody(body);
      const welcome = type === FrameType.WELCOME && (this.state === "connecting" || this.state === "stream");
      if (seq >= 0 && welcome) this.welcomed(socket, seq, address!);
      else if (seq >= 0 && type === FrameType.RECEIPT && this.state === "open") this.receipted(seq);
      else socket.destroy(new Error(`unexpected frame of type ${type} from the peer`));
      return !socket.destroyed;
    };
    let why = "connection closed";
    socket.on("data", (chunk: Buffer) => {
      if (socket.destroyed) return;
      const error = reader.push(chunk, onFrame);
      if (error) socket.destroy(new Error(error));
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      why = err.message;
      debug("link to %s: %s", this.nodeId, err.message);
      if (err.code === "ECONNREFUSED") this.refusedAt(address!);
    });
    socket.on("close", () => this.closed(socket, why, address!));
  }

  private welcomed(socket: Socket, lastDelivered: number, address: { host: string; port: number }): void {
    socket.setTimeout(0);
    this.address = address;
    this.welcomedAt = `${address.host}:${address.port}`;
    this.refused = false;
    this.state = "open";
    debug("link to %s open (epoch %d), replaying %d", this.nodeId, this.epoch, this.pending);
    this.receipted(lastDelivered);
    if (this.pending === 0) return;
    socket.cork();
    for (let i = this.head, seq = this.firstSeq; i < this.unreceipted.length; i++, seq++) {
      this.write(socket, seq, this.unreceipted[i]);
    }
    socket.uncork();
  }

  private closed(socket: Socket, why: string, address: { host: string; port: number }): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    // a try where the peer had welcomed us failed without a refusal (the dying peer's listener
    // took the connection before its process ended): look again shortly
    if (this.state !== "open" && !this.refused && `${address.host}:${address.port}` === this.welcomedAt) {
      setTimeout(() => this.probe(address), PROBE_AGAIN_MS).unref();
    }
    // never welcomed there: the next try asks Redis again (the peer may have moved or gone)
    if (this.state !== "open") this.address = undefined;
    if (this.state === "open") {
      // a connection that was up: try again at once, unless it keeps failing without progress
      debug("link to %s dropped: %s", this.nodeId, why);
      if (++this.failures <= 1) {
        void this.open();
        return;
      }
      // no new link before the back-off: still learn at once whether the peer's process is gone
      if (this.address) this.probe(this.address);
    }
    if (this.state !== "closed") this.fallBack(why);
  }

  /** Connects and hangs up at once, to see whether the address still has a listener. */
  private probe(address: { host: string; port: number }): void {
    const socket = connect({ host: address.host, port: address.port });
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => socket.destroy());
    socket.once("connect", () => socket.destroy());
    socket.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "ECONNREFUSED") this.refusedAt(address);
    });
  }

  /** A connect to `address` was refused: the peer is gone if it had welcomed us there. */
  private refusedAt(address: { host: string; port: number }): void {
    if (this.refused || this.state === "closed" || `${address.host}:${address.port}` !== this.welcomedAt) return;
    this.refused = true;
    this.ctx.gone(this.nodeId);
  }

  private receipted(seq: number): void {
    if (seq >= this.firstSeq && this.pending > 0) this.failures = 0;
    this.release(seq);
  }

  /** Keeps the kept payloads within bounds: the stream window, or the unreceipted limits (logged). */
  private bound(): void {
    const streaming = this.state === "stream";
    const [count, bytes] = streaming ? [STREAM_WINDOW, STREAM_WINDOW_BYTES] : [MAX_UNRECEIPTED, MAX_UNRECEIPTED_BYTES];
    if (this.pending <= count && this.unreceiptedBytes <= bytes) return;
    if (!streaming) warn("link-buffer", `link to ${this.nodeId}: over ${count} payloads not receipted, dropping the oldest`);
    while (this.pending > 0 && (this.pending > count || this.unreceiptedBytes > bytes)) this.release(this.firstSeq);
  }

  /** Forgets every kept payload up to `seq`. */
  private release(seq: number): void {
    while (this.head < this.unreceipted.length && this.firstSeq <= seq) {
      this.unreceiptedBytes -= this.unreceipted[this.head].length;
      this.unreceipted[this.head++] = undefined as unknown as Buffer;
      this.firstSeq++;
    }
    if (this.head === this.unreceipted.length) {
      this.unreceipted = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.unreceipted.length) {
      this.unreceipted = this.unreceipted.slice(this.head);
      this.head = 0;
    }
  }

  /** The stream carries this link from now on; the direct link is tried again later. */
  private fallBack(why: string): void {
    debug("link to %s uses the stream: %s", this.nodeId, why);
    if (this.state !== "stream") this.ctx.stats.fallbacks++;
    this.state = "stream";
    this.flushToStream();
    this.bound();
    const delay = Math.min(RETRY_MIN_MS * 2 ** this.failures, RETRY_MAX_MS);
    this.failures++;
    this.retryTimer = setTimeout(() => void this.open(), delay);
    this.retryTimer.unref();
  }

  /** Streams what is kept and not streamed yet; keeps (a window of) it only when `keepWindow`. */
  private flushToStream(): void {
    for (let i = this.head, seq = this.firstSeq; i < this.unreceipted.length; i++, seq++) {
      if (seq > this.streamedUpTo) this.streamOne(seq, this.unreceipted[i]);
    }
    if (this.keepWindow && this.state !== "closed") return;
    this.unreceipted = [];
    this.head = 0;
    this.unreceiptedBytes = 0;
    this.firstSeq = this.lastSeq + 1;
  }

  private streamOne(seq: number, payload: Buffer): void {
    this.streamedUpTo = seq;
    this.ctx.stats.streamSent++;
    this.ctx.toStream(this.nodeId, payload, encodeStreamHeader(this.ctx.from, this.epoch, seq));
  }

  private write(socket: Socket, seq: number, payload: Buffer): void {
    this.ctx.stats.directSent++;
    socket.write(encodeDataHeader(seq, payload.length));
    socket.write(payload);
  }
}
