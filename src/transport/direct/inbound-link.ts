import type { Socket } from "net";
import { timingSafeEqual } from "crypto";
import { debug as makeDebug, warn } from "../../log";
import { InboxSequencer } from "./sequencer";
import { LinkStats } from "./stats";
import { DATA_SEQ_BYTES, decodeHello, encodeSeqFrame, FrameReader, FrameType, MAX_FRAME_BYTES, MAX_HELLO_BYTES } from "./wire";
import { clearTimeout, setTimeout } from "../../clock";

const debug = makeDebug("transport:inbound-link");

/** A peer that has not said a valid hello within this long is closed. */
const HELLO_TIMEOUT_MS = 10_000;
/** Receipts are cumulative: one per connection per this interval at most. */
export const RECEIPT_INTERVAL_MS = 200;
/** TCP keep-alive probes start after this much silence (both ends of a link). */
export const KEEPALIVE_MS = 15_000;

/** What an accepted connection needs from its server. */
export interface InboundContext {
  readonly secret: Buffer;
  readonly sequencers: Map<string, InboxSequencer>;
  readonly stats: LinkStats;
  /** Called once the peer is known: the server keeps one connection per (target, sender). */
  identified(link: InboundLink, key: string): void;
  /** Called once, when the connection has closed. */
  closed(link: InboundLink, key: string | null): void;
}

/**
 * One accepted connection: first a hello (cluster secret, sender, epoch, target node), then DATA
 * frames fed to the target's sequencer, answered by a cumulative receipt every
 * `RECEIPT_INTERVAL_MS` at most. Anything unexpected closes the connection (logged), never throws.
 */
export class InboundLink {
  private readonly reader = new FrameReader(MAX_HELLO_BYTES);
  private peer: { key: string; from: string; epoch: number; sequencer: InboxSequencer } | null = null;
  private delivered = 0;
  private receipted = 0;
  private receiptTimer?: NodeJS.Timeout;
  private readonly helloTimer: NodeJS.Timeout;

  constructor(
    readonly socket: Socket,
    private readonly ctx: InboundContext,
  ) {
    socket.setNoDelay(true);
    // a peer whose machine vanished is noticed by the kernel, not by a timer of ours
    socket.setKeepAlive(true, KEEPALIVE_MS);
    this.helloTimer = setTimeout(() => this.reject("no hello in time"), HELLO_TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => {
      if (socket.destroyed) return;
      const error = this.reader.push(chunk, this.onFrame);
      if (error) this.reject(error);
    });
    socket.on("error", (err) => debug("link socket error: %s", err.message));
    socket.on("close", () => {
      clearTimeout(this.helloTimer);
      clearTimeout(this.receiptTimer);
      ctx.closed(this, this.peer?.key ?? null);
    });
  }

  private readonly onFrame = (type: number, body: Buffer): boolean => {
    const peer = this.peer;
    if (!peer) return type === FrameType.HELLO ? this.onHello(body) : this.reject(`frame of type ${type} before hello`);
    if (type !== FrameType.DATA) return this.reject(`unexpected frame of type ${type}`);
    if (body.length < DATA_SEQ_BYTES) return this.reject("short data frame");
    this.ctx.stats.directReceived++;
    const seq = body.readUIntBE(0, DATA_SEQ_BYTES);
    this.delivered = peer.sequencer.accept(peer.from, peer.epoch, seq, body.subarray(DATA_SEQ_BYTES));
    if (this.delivered > this.receipted && !this.receiptTimer) {
      this.receiptTimer = setTimeout(this.sendReceipt, RECEIPT_INTERVAL_MS);
    }
    return !this.socket.destroyed;
  };

  private onHello(body: Buffer): boolean {
    const hello = decodeHello(body);
    if (!hello) return this.reject("malformed hello");
    const secret = this.ctx.secret;
    if (hello.secret.length !== secret.length || !timingSafeEqual(hello.secret, secret)) {
      return this.reject("wrong cluster secret");
    }
    const sequencer = this.ctx.sequencers.get(hello.target);
    if (!sequencer) return this.reject(`hello for node ${hello.target}, which does not listen here`);
    const from = hello.from.toString("hex");
    this.peer = { key: `${hello.target}|${from}`, from, epoch: hello.epoch, sequencer };
    clearTimeout(this.helloTimer);
    this.reader.maxFrame = MAX_FRAME_BYTES;
    this.receipted = this.delivered = sequencer.lastDelivered(from, hello.epoch);
    this.ctx.identified(this, this.peer.key);
    this.socket.write(encodeSeqFrame(FrameType.WELCOME, this.delivered));
    debug("link from %s to %s (epoch %d) open, last delivered %d", from, hello.target, hello.epoch, this.delivered);
    return true;
  }

  private readonly sendReceipt = (): void => {
    this.receiptTimer = undefined;
    if (this.delivered <= this.receipted || this.socket.destroyed) return;
    this.receipted = this.delivered;
    this.socket.write(encodeSeqFrame(FrameType.RECEIPT, this.delivered));
  };

  private reject(why: string): false {
    if (this.socket.destroyed) return false;
    this.ctx.stats.rejected++;
    const s = this.socket;
    warn("link-rejected", `direct link from ${s.remoteAddress}:${s.remotePort} closed: ${why}`);
    s.destroy();
    return false;
  }
}
