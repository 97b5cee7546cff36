import { listenInbox } from "../cluster/inbox";
import { NodeRecord, NodeRegistry } from "../cluster/node-registry";
import { debug as makeDebug, warn } from "../log";
import { CLOSE_WAIT_MS, withTimeout } from "../cluster/with-timeout";
import { newNodeId, ResolvedClusterOptions } from "../options";
import { Batch, Frame, FrameType } from "../protocol/frame";
import { BroadcastFrame, IoLink, IoFrameSink, LocalIoLink, RemoteIoLink } from "./io-link";
import { RelayEngine } from "./relay-engine";
import { RoomPresence } from "./room-presence";
import type { FanOut } from "./cluster-adapter";

const debug = makeDebug("app-node");

/**
 * The cluster side of an app-node: its inbox, its heartbeat, its links to io-nodes, and the relay
 * engine the Socket.IO server is bound to.
 */
export class AppNode implements FanOut {
  readonly id = newNodeId("app");
  readonly engine = new RelayEngine();
  readonly registry: NodeRegistry;
  /** Which io-nodes hold members of which rooms, so broadcasts go only where they are needed. */
  private readonly presence: RoomPresence;
  private readonly links = new Map<string, IoLink>();
  private messages = 0;
  private readonly started: Promise<void>;
  private closed = false;
  /** Set by `leave()`: batches are neither processed nor acknowledged, so io-nodes replay them elsewhere. */
  private leaving = false;

  constructor(readonly cluster: ResolvedClusterOptions) {
    this.registry = new NodeRegistry(
      cluster.transport,
      () => ({ id: this.id, role: "app", connections: this.engine.clientsCount, messages: this.messages }),
      cluster,
    );
    // recovery claims wait on its reads, one listener per io-node being judged (stale-sessions.ts)
    this.registry.setMaxListeners(0);
    this.presence = new RoomPresence(cluster.transport);
    this.registry.on("up", (r: NodeRecord) => this.presence.onHeartbeat(r));
    this.registry.on("change", (r: NodeRecord) => this.presence.onHeartbeat(r));
    this.registry.on("down", (r: NodeRecord) => {
      if (r.role !== "io") return;
      this.presence.forget(r.id);
      const n = this.engine._dropIoNode(r.id);
      const link = this.links.get(r.id);
      if (link instanceof RemoteIoLink) link.close();
      this.links.delete(r.id);
      if (n > 0) warn(`io-down-${r.id}`, `app-node ${this.id}: io-node ${r.id} is gone; ${n} connection(s) closed`);
    });
    this.started = this.start();
  }

  private async start(): Promise<void> {
    await listenInbox(this.cluster.transport, this.id, (batch) => this.onBatch(batch));
    await this.presence.start();
    await this.registry.start();
    debug("app-node %s started", this.id);
  }

  ready(): Promise<void> {
    return this.started;
  }

  /** Lets a co-located io-node reach this app-node by function call. */
  attachLocalIoNode(ioNodeId: string, sink: IoFrameSink): void {
    this.links.set(ioNodeId, new LocalIoLink(ioNodeId, this.id, sink));
  }

  collectIoNodes(nsp: string, rooms: string[], into: Set<string>, everyRoom: boolean): void {
    this.presence.collect(nsp, rooms, into, everyRoom);
  }

  broadcastTo(ioNodeId: string, frame: BroadcastFrame): void {
    if (this.leaving) return;
    this.link(ioNodeId).broadcast(frame);
  }

  private link(ioNodeId: string): IoLink {
    let link = this.links.get(ioNodeId);
    if (!link) {
      link = new RemoteIoLink(this.cluster.transport, this.id, ioNodeId);
      this.links.set(ioNodeId, link);
    }
    return link;
  }

  private onBatch(batch: Batch): void {
    if (this.leaving) return;
    for (const frame of batch.frames) {
      try {
        this.handleFrame(batch.from, frame);
      } catch (err) {
        warn("app-frame", `app-node ${this.id}: frame from ${batch.from} failed: ${(err as Error).stack}`);
      }
    }
    this.link(batch.from).ack(batch.seq);
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
   * Leaves the cluster without closing the connections this node owns: from now on nothing is
   * processed or acknowledged, and the io-nodes, told at once, hand the connections (and what
   * this node did not acknowledge) to the remaining app-nodes.
   */
  async leave(): Promise<void> {
    await withTimeout(this.started.catch(() => undefined), CLOSE_WAIT_MS);
    this.leaving = true;
    for (const link of this.links.values()) if (link instanceof RemoteIoLink) link.close();
    await this.registry.stop();
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // a node that never reached Redis must still close
    await withTimeout(this.started.catch(() => undefined), CLOSE_WAIT_MS);
    for (const link of this.links.values()) if (link instanceof RemoteIoLink) link.close();
    await this.presence.close();
    await this.registry.stop();
    if (this.cluster.ownsTransport) await this.cluster.transport.close();
  }
}
