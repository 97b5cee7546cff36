import { encodeBatch } from "../protocol/codec";
import { warn } from "../log";
import { Frame, PROTOCOL_VERSION } from "../protocol/frame";
import { describeFrames, traceBatch } from "../protocol/packet-trace";
import { Transport } from "../transport/transport";
import { setImmediate } from "../clock";
import { randomInt } from "crypto";

/**
 * Frames from this node to one peer, sent as one batch per event-loop turn: a broadcast to a
 * room of N sockets on one io-node costs one transport message, not N.
 *
 * Each link object has its own random epoch: a node that re-creates its link to a peer (an io-node
 * does after it thought the app-node dead) starts a new count the peer can tell from the old one.
 */
export class OutboundLink {
  /** Random, never 0: a receiver that sees another epoch knows the count started again. */
  readonly epoch = randomInt(1, 0xffff_ffff);
  private queue: Frame[] = [];
  private seq = 0;
  private scheduled = false;

  constructor(
    private readonly transport: Transport,
    readonly from: string,
    readonly to: string,
    /** Called with each batch as it leaves, for senders that keep what no receipt covers yet. */
    private readonly onSent?: (seq: number, frames: Frame[]) => void,
  ) {}

  push(frame: Frame): void {
    this.queue.push(frame);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const frames = this.queue;
    this.queue = [];
    const seq = ++this.seq;
    let payload: Buffer;
    try {
      payload = encodeBatch({ version: PROTOCOL_VERSION, from: this.from, epoch: this.epoch, seq, frames });
    } catch (err) {
      // one unencodable frame must not take the node down; the batch is reported and dropped
      warn("encode", `${this.from} → ${this.to}: a batch of ${frames.length} frame(s) could not be encoded: ${(err as Error).message}`);
      return;
    }
    if (traceBatch.enabled) {
      traceBatch("out %s → %s batch %d (epoch %d) %dB: %s", this.from, this.to, seq, this.epoch, payload.length, describeFrames(frames));
    }
    this.transport.send(this.to, payload);
    this.onSent?.(seq, frames);
  };
}
