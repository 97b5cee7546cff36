import { OutboundLink } from "../cluster/outbound-link";
import { warn } from "../log";
import { CloseDescription, Frame, FrameType, Handshake, Payload } from "../protocol/frame";
import { Transport } from "../transport/transport";

/** The io-node's side of its relation with one app-node. */
export interface AppLink {
  readonly appId: string;
  open(connId: string, handshake: Handshake): void;
  data(connId: string, data: Payload): void;
  close(connId: string, reason: string, description?: CloseDescription): void;
  upgrade(connId: string, transport: string, done: boolean): void;
  clientInfo(connId: string, info: Record<string, unknown>): void;
  /** Asks the app-node to let the connection go to another one (rebalancing), after its data so far. */
  release(connId: string): void;
  /** The app-node's receipt: it processed every batch of link epoch `epoch` up to `seq`. */
  receipt(epoch: number, seq: number): void;
  /** Tells the app-node it no longer owns a connection (it wrote for one re-homed meanwhile). */
  revoke(connId: string): void;
  /** The epoch of this link's batches (0: a co-located app-node, reached without batches). */
  readonly epoch: number;
  /** Answers the app-node's EPOCH_CHECK: `current` when `epoch` is this link's. */
  epochStatus(epoch: number, current: boolean): void;
  /**
   * Client packets this app-node received but never confirmed, grouped by connection in arrival
   * order: after its death they are replayed to the connection's new owner.
   */
  takeUnreceipted(): Map<string, Payload[]>;
  /** Batches sent and kept until the app-node's receipt covers them (the relay queue's depth). */
  readonly unreceiptedBatches: number;
}

/** Receives frames in the same process: the co-located app-node's fast path. */
export interface FrameSink {
  handleFrame(from: string, frame: Frame): void;
}

/** A co-located app-node, reached by a function call. Nothing is in flight, so nothing to replay. */
export class LocalAppLink implements AppLink {
  constructor(
    readonly appId: string,
    private readonly ioNodeId: string,
    private readonly sink: FrameSink,
  ) {}

  open(connId: string, handshake: Handshake): void {
    this.sink.handleFrame(this.ioNodeId, { type: FrameType.OPEN, connId, handshake });
  }
  data(connId: string, data: Payload): void {
    this.sink.handleFrame(this.ioNodeId, { type: FrameType.DATA, connId, data });
  }
  close(connId: string, reason: string, description?: CloseDescription): void {
    this.sink.handleFrame(this.ioNodeId, { type: FrameType.CLOSE, connId, reason, description });
  }
  upgrade(connId: string, transport: string, done: boolean): void {
    this.sink.handleFrame(this.ioNodeId, { type: FrameType.UPGRADE, connId, transport, done });
  }
  clientInfo(connId: string, info: Record<string, unknown>): void {
    this.sink.handleFrame(this.ioNodeId, { type: FrameType.CLIENT_INFO, connId, info });
  }
  release(connId: string): void {
    this.sink.handleFrame(this.ioNodeId, { type: FrameType.RELEASE, connId });
  }
  readonly epoch = 0;
  receipt(): void {}
  revoke(): void {}
  epochStatus(): void {}
  takeUnreceipted(): Map<string, Payload[]> {
    return new Map();
  }
  readonly unreceiptedBatches = 0;
}

/** Batches kept for replay at most; an app-node this far behind is not sending receipts. */
const MAX_UNRECEIPTED_BATCHES = 50_000;

/** An app-node reached through the transport; batches stay here until the app-node's receipt covers them. */
export class RemoteAppLink implements AppLink {
  private readonly out: OutboundLink;
  private unreceipted: Array<{ seq: number; frames: Frame[] }> = [];

  constructor(transport: Transport, ioNodeId: string, readonly appId: string) {
    this.out = new OutboundLink(transport, ioNodeId, appId, (seq, frames) => {
      this.unreceipted.push({ seq, frames });
      if (this.unreceipted.length > MAX_UNRECEIPTED_BATCHES) {
        this.unreceipted.shift();
        warn("unreceipted-overflow", `app-node ${appId} sends no receipts; dropping the oldest replay batch`);
      }
    });
  }

  open(connId: string, handshake: Handshake): void {
    this.out.push({ type: FrameType.OPEN, connId, handshake });
  }
  data(connId: string, data: Payload): void {
    this.out.push({ type: FrameType.DATA, connId, data });
  }
  close(connId: string, reason: string, description?: CloseDescription): void {
    this.out.push({ type: FrameType.CLOSE, connId, reason, description });
  }
  upgrade(connId: string, transport: string, done: boolean): void {
    this.out.push({ type: FrameType.UPGRADE, connId, transport, done });
  }
  clientInfo(connId: string, info: Record<string, unknown>): void {
    this.out.push({ type: FrameType.CLIENT_INFO, connId, info });
  }
  release(connId: string): void {
    this.out.push({ type: FrameType.RELEASE, connId });
  }

  get epoch(): number {
    return this.out.epoch;
  }

  revoke(connId: string): void {
    this.out.push({ type: FrameType.REVOKE, connId });
  }

  epochStatus(epoch: number, current: boolean): void {
    this.out.push({ type: FrameType.EPOCH_STATUS, epoch, current });
  }

  receipt(epoch: number, seq: number): void {
    // a receipt for an earlier link to the app-node says nothing about this one's batches
    if (epoch !== this.out.epoch) return;
    let i = 0;
    while (i < this.unreceipted.length && this.unreceipted[i].seq <= seq) i++;
    if (i > 0) this.unreceipted = this.unreceipted.slice(i);
  }

  get unreceiptedBatches(): number {
    return this.unreceipted.length;
  }

  takeUnreceipted(): Map<string, Payload[]> {
    this.out.flush();
    const byConn = new Map<string, Payload[]>();
    for (const { frames } of this.unreceipted) {
      for (const f of frames) {
        if (f.type !== FrameType.DATA) continue;
        let list = byConn.get(f.connId);
        if (!list) byConn.set(f.connId, (list = []));
        list.push(f.data);
      }
    }
    this.unreceipted = [];
    return byConn;
  }
}
