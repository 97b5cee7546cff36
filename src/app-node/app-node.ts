import { ClusterMember } from "../cluster/cluster-member";
import type { NodeRecord, NodeRegistry } from "../cluster/node-registry";
import { debug as makeDebug, warn } from "../log";
import type { ResolvedClusterOptions } from "../options";
import { Batch, Frame, FrameType } from "../protocol/frame";
import { ReceiptPositions } from "../cluster/receipt-positions";
import { BroadcastFrame, IoLink, IoFrameSink, LocalIoLink, RemoteIoLink } from "./io-link";
import { RelayEngine } from "./relay-engine";
import { EpochChecks } from "./epoch-checks";
import { now as clockNow } from "../clock";
import { RoomPresence } from "./room-presence";
import type { FanOut } from "./cluster-adapter";
import type { ConnectionRelease } from "./connection-release";

const debug = makeDebug("app-node");

/**
 * The cluster side of an app-node: its inbox, its heartbeat, its links to io-nodes, and the relay
 * engine the Socket.IO server is bound to.
 */
export class AppNode implements FanOut {
  readonly id: string;
  readonly engine = new RelayEngine();
  readonly registry: NodeRegistry;
  /** Its start, heartbeat, inbox, metrics and leave, as every node's. */
  private readonly member: ClusterMember;
  /** Which io-nodes hold members of which rooms, so broadcasts go only where they are needed. */
  private readonly presence: RoomPresence;
  private readonly links = new Map<string, IoLink>();
  /** Where this node stands in each io-node's batches, so none is processed twice. */
  private readonly positions = new ReceiptPositions();
  private messages = 0;
  /** Holds batches after a silence until their io-node vouches for their link epoch. */
  private readonly checks = new EpochChecks({
    ask: (ioNodeId, epoch) => this.link(ioNodeId).checkEpoch(epoch),
    handle: (batch) => this.handleBatch(batch),
    revoked: (ioNodeId) => {
      const n = this.engine._dropIoNode(ioNodeId, "connection moved to another app-node");
      warn(`revoked-${ioNodeId}`, `app-node ${this.id} was silent long enough to be thought dead; io-node ${ioNodeId} re-homed its ${n} connection(s)`);
    },
  });
  /** The heartbeat whose silence was last doubted, so one silence costs one check per io-node. */
  private doubtedBeat = -1;
  private doubtedAt = 0;
  private duplicates = 0;
  private closed = false;
  /** Set by `leave()`: batches are neither processed nor receipted, so io-nodes replay them elsewhere. */
  private leaving = false;
  /** Set by `leave()` once this node's last writes went out: broadcasts are dropped from then on. */
  private linksClosed = false;
  /** Lets connections go to another app-node when an io-node rebalances; set by the Server. */
  releaser?: ConnectionRelease;

  constructor(readonly cluster: ResolvedClusterOptions) {
    // an announcement that asks for it is answered once applied: the io-node holds a join's confirmation until then
    this.presence = new RoomPresence(cluster.transport, (ioNodeId, seq) => {
      if (!this.linksClosed) this.link(ioNodeId).presenceSeen(seq);
    });
    this.member = new ClusterMember(cluster, {
      role: "app",
      label: "app-node",
      record: () => ({ connections: this.engine.clientsCount, messages: this.messages, duplicates: this.duplicateBatches }),
      sample: () => ({
        connections: this.engine.clientsCount,
        duplicates: this.duplicateBatches,
        link: this.cluster.transport.linkStats?.(),
      }),
      onBatch: (batch) => this.onBatch(batch),
      parts: () => [this.presence],
    });
    this.id = this.member.id;
    this.registry = this.member.registry;
    // recovery claims wait on its reads, one listener per io-node being judged (stale-sessions.ts)
    this.registry.setMaxListeners(0);
    this.registry.on("up", (r: NodeRecord) => this.presence.onHeartbeat(r));
    this.registry.on("change", (r: NodeRecord) => this.presence.onHeartbeat(r));
    this.registry.on("resumed", (beatBefore: number) => this.doubtAfter(beatBefore));
    this.registry.on("down", (r: NodeRecord) => {
      if (r.role !== "io") return;
      this.presence.forget(r.id);
      this.positions.forget(r.id);
      this.checks.forget(r.id);
      const n = this.engine._dropIoNode(r.id);
      const link = this.links.get(r.id);
      if (link instanceof RemoteIoLink) link.close();
      this.links.delete(r.id);
      if (n > 0) warn(`io-down-${r.id}`, `app-node ${this.id}: io-node ${r.id} is gone; ${n} connection(s) closed`);
    });
    this.member.start();
  }

  /** Resolves once the node is registered and reads its inbox. */
  ready(): Promise<void> {
    return this.member.ready();
  }

  /** host:port of this node's `GET /metrics` server (`metricsPort`), once it listens. */
  metricsAddress(): string | undefined {
    return this.member.metricsAddress();
  }

  /** Lets a co-located io-node reach this app-node by function call. */
  attachLocalIoNode(ioNodeId: string, sink: IoFrameSink): void {
    this.links.set(ioNodeId, new LocalIoLink(ioNodeId, this.id, sink));
  }

  collectIoNodes(nsp: string, rooms: string[], into: Set<string>, everyRoom: boolean): void {
    this.presence.collect(nsp, rooms, into, everyRoom);
  }

  broadcastTo(ioNodeId: string, frame: BroadcastFrame): void {
    if (this.linksClosed) return;
    this.link(ioNodeId).broadcast(frame);
  }

  private link(ioNodeId: string): IoLink {
    let link = this.links.get(ioNodeId);
    if (!link) this.links.set(ioNodeId, (link = new RemoteIoLink(this.cluster.transport, this.id, ioNodeId)));
    return link;
  }

  /**
   * Batches from io-nodes dropped unhandled: received already, or replayed elsewhere while this
   * node was thought dead (see `epoch-checks.ts`).
   */
  get duplicateBatches(): number {
    return this.duplicates + this.checks.dropped;
  }

  /**
   * After a heartbeat silence others may have judged as death, what io-nodes send is checked
   * first. While the silence lasts (Redis out of this node's reach, not of the io-nodes'), checks
   * are repeated: an io-node's answer only holds its judgement back for one `nodeTimeout`.
   */
  private doubtAfter(beat: number): void {
    const now = clockNow();
    if (beat === this.doubtedBeat && now - this.doubtedAt < this.registry.silenceLimit) return;
    this.doubtedBeat = beat;
    this.doubtedAt = now;
    this.checks.doubt();
  }

  private onBatch(batch: Batch): void {
    if (this.leaving) return;
    // a frozen process wakes up to its inbox before its heartbeat timer
    if (this.registry.silent()) this.doubtAfter(this.registry.lastBeatAt);
    this.checks.take(batch);
  }

  private handleBatch(batch: Batch): void {
    if (this.leaving) return;
    if (!this.positions.accept(batch.from, batch.epoch, batch.seq)) {
      this.duplicates++;
      debug("batch %d of epoch %d from %s received already; dropped", batch.seq, batch.epoch, batch.from);
      // receipted again: the io-node may still keep it for replay
      this.link(batch.from).receipt(batch.epoch, this.positions.last(batch.from));
      return;
    }
    for (const frame of batch.frames) {
      try {
        this.handleFrame(batch.from, frame);
      } catch (err) {
        warn("app-frame", `app-node ${this.id}: frame from ${batch.from} failed: ${(err as Error).stack}`);
      }
    }
    this.link(batch.from).receipt(batch.epoch, batch.seq);
  }

  /** Frames from io-nodes (inbox or co-located fast path). @internal */
  handleFrame(from: string, frame: Frame): void {
    this.messages++;
    switch (frame.type) {
      case FrameType.OPEN:
        this.engine._open(frame.connId, frame.handshake, this.link(from));
        return;
      case FrameType.DATA:
        this.engine.clients.get(frame.connId)?._onData(frame.data);
        return;
      case FrameType.CLOSE:
        this.engine.clients.get(frame.connId)?._onClose(frame.reason, frame.description);
        return;
      case FrameType.UPGRADE:
        this.engine.clients.get(frame.connId)?._onUpgrade(frame.transport, frame.done);
        return;
      case FrameType.CLIENT_INFO:
        this.engine.clients.get(frame.connId)?._onClientInfo(frame.info);
        return;
      case FrameType.RELEASE:
        void this.release(from, frame.connId);
        return;
      case FrameType.EPOCH_STATUS:
        // taken by the epoch checks before the batch was handled
        return;
      case FrameType.REVOKE: {
        const conn = this.engine.clients.get(frame.connId);
        if (conn && conn.ioNodeId === from) conn._onClose("transport close", { message: "connection moved to another app-node", error: false });
        return;
      }
      default:
        warn("unexpected-frame", `app-node ${this.id} ignores a frame of type ${frame.type} from ${from}`);
    }
  }

  /**
   * An io-node moves a connection to another app-node: let it go, sessions stored, then say so on
   * the link of its writes, behind any write still waiting for a recovery offset.
   */
  private async release(from: string, connId: string): Promise<void> {
    const conn = this.engine.clients.get(connId);
    let released = false;
    if (conn && conn.ioNodeId === from && this.releaser) {
      released = await this.releaser.release(conn).catch((err: Error) => {
        warn("release", `app-node ${this.id}: connection ${connId} could not be released: ${err.message}`);
        return conn.readyState !== "open";
      });
    }
    if (this.leaving || this.closed) return;
    const link = this.link(from);
    if (this.engine._mustWait()) this.engine._enqueue(() => link.released(connId, released));
    else link.released(connId, released);
  }

  /**
   * Leaves the cluster without closing the connections this node owns: from now on nothing is
   * processed or receipted, and the io-nodes, told at once, hand the connections (and what
   * this node sent no receipt for) to the remaining app-nodes.
   */
  async leave(): Promise<void> {
    await this.member.settled();
    this.leaving = true;
    // a broadcast still waiting for its recovery-log offset (and the writes queued behind it) was
    // made by a handler that ran here: it goes out before the links close, or it is lost for the
    // clients that moved to another app-node before it was logged
    await this.engine._written(this.cluster.requestsTimeout);
    this.linksClosed = true;
    for (const link of this.links.values()) if (link instanceof RemoteIoLink) link.close();
    await this.registry.stop();
    await this.close();
  }

  /** Closes the links to io-nodes, leaves the cluster and releases the transport it created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // a node that never reached Redis must still close
    await this.member.settled();
    for (const link of this.links.values()) if (link instanceof RemoteIoLink) link.close();
    await this.member.leave();
    await this.member.closeTransport();
  }
}
