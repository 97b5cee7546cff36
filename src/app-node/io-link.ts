import { OutboundLink } from "../cluster/outbound-link";
import { Frame, FrameType, Payload, RoomOp } from "../protocol/frame";
import { Transport } from "../transport/transport";
import { clearTimeout, setTimeout } from "../clock";

/** The app-node's side of its relation with one io-node. */
export interface IoLink {
  readonly ioNodeId: string;
  /** `options` are Engine.IO's write options as Socket.IO gave them (a co-located io-node uses them as they are). */
  write(connId: string, data: Payload, compress: boolean, volatile: boolean, options?: object): void;
  disconnect(connId: string, discard: boolean): void;
  /** A socket's rooms changed; ordered with the writes. */
  rooms(connId: string, nsp: string, sid: string, op: RoomOp, rooms: string[]): void;
  /** A broadcast for the io-node's members of the frame's rooms. */
  broadcast(frame: BroadcastFrame): void;
  /** A receipt: every batch of link epoch `epoch` from this io-node up to `seq` has been handed to Socket.IO. */
  receipt(epoch: number, seq: number): void;
  /** Answers a RELEASE of the connection, after its last write. */
  released(connId: string, released: boolean): void;
  /** Asks the io-node whether its link of epoch `epoch` still carries this node's connections. */
  checkEpoch(epoch: number): void;
  /** Tells the io-node its room presence announcement `seq` is applied here. */
  presenceSeen(seq: number): void;
}

export type BroadcastFrame = Extract<Frame, { type: FrameType.BROADCAST }>;

/** Receives frames in the same process: the co-located io-node. */
export interface IoFrameSink {
  handleFrame(from: string, frame: Frame): void;
}

export class LocalIoLink implements IoLink {
  constructor(
    readonly ioNodeId: string,
    private readonly appId: string,
    private readonly sink: IoFrameSink,
  ) {}

  write(connId: string, data: Payload, compress: boolean, volatile: boolean, options?: object): void {
    // the options carry a broadcast's pre-encoded websocket frame, built once for all its sockets
    this.sink.handleFrame(this.appId, { type: FrameType.WRITE, connId, data, compress, volatile, options });
  }
  disconnect(connId: string, discard: boolean): void {
    this.sink.handleFrame(this.appId, { type: FrameType.DISCONNECT, connId, discard });
  }
  rooms(connId: string, nsp: string, sid: string, op: RoomOp, rooms: string[]): void {
    this.sink.handleFrame(this.appId, { type: FrameType.ROOMS, connId, nsp, sid, op, rooms });
  }
  broadcast(frame: BroadcastFrame): void {
    this.sink.handleFrame(this.appId, frame);
  }
  receipt(): void {}
  released(connId: string, released: boolean): void {
    this.sink.handleFrame(this.appId, { type: FrameType.RELEASED, connId, released });
  }
  checkEpoch(): void {}
  presenceSeen(seq: number): void {
    this.sink.handleFrame(this.appId, { type: FrameType.PRESENCE_SEEN, seq });
  }
}

/**
 * Receipts wait this long for a write to ride along with, then go alone. It bounds the
 * window of client packets a crash makes the io-node replay to another app-node although this one
 * handled them: short, at the cost of one small frame per 20 ms per busy io-node.
 */
export const RECEIPT_DELAY_MS = 20;

export class RemoteIoLink implements IoLink {
  private readonly out: OutboundLink;
  /** The io-node's link epoch the receipts are for; a new one starts the count again. */
  private receiptEpoch = 0;
  private receiptSeq = 0;
  private receiptSent = 0;
  private receiptTimer?: NodeJS.Timeout;

  constructor(transport: Transport, appId: string, readonly ioNodeId: string) {
    this.out = new OutboundLink(transport, appId, ioNodeId);
  }

  write(connId: string, data: Payload, compress: boolean, volatile: boolean): void {
    this.out.push({ type: FrameType.WRITE, connId, data, compress, volatile });
    this.piggybackReceipt();
  }

  disconnect(connId: string, discard: boolean): void {
    this.out.push({ type: FrameType.DISCONNECT, connId, discard });
    this.piggybackReceipt();
  }

  rooms(connId: string, nsp: string, sid: string, op: RoomOp, rooms: string[]): void {
    this.out.push({ type: FrameType.ROOMS, connId, nsp, sid, op, rooms });
  }

  broadcast(frame: BroadcastFrame): void {
    this.out.push(frame);
    this.piggybackReceipt();
  }

  released(connId: string, released: boolean): void {
    this.out.push({ type: FrameType.RELEASED, connId, released });
    this.piggybackReceipt();
  }

  receipt(epoch: number, seq: number): void {
    if (epoch !== this.receiptEpoch) {
      // the io-node re-created its link (it thought this node dead): its count restarted
      this.receiptEpoch = epoch;
      this.receiptSent = 0;
    }
    this.receiptSeq = seq;
    if (!this.receiptTimer) {
      this.receiptTimer = setTimeout(() => {
        this.receiptTimer = undefined;
        this.piggybackReceipt();
      }, RECEIPT_DELAY_MS);
    }
  }

  checkEpoch(epoch: number): void {
    this.out.push({ type: FrameType.EPOCH_CHECK, epoch });
  }

  presenceSeen(seq: number): void {
    this.out.push({ type: FrameType.PRESENCE_SEEN, seq });
  }

  private piggybackReceipt(): void {
    if (this.receiptSeq > this.receiptSent) {
      this.receiptSent = this.receiptSeq;
      this.out.push({ type: FrameType.RECEIPT, epoch: this.receiptEpoch, seq: this.receiptSeq });
    }
  }

  /** Sends what is queued, receipt included, and stops the timer. */
  close(): void {
    clearTimeout(this.receiptTimer);
    this.receiptTimer = undefined;
    this.piggybackReceipt();
    this.out.flush();
  }
}
