import { debug as makeDebug, warn } from "../log";
import { decodePresence, EVERY_ROOM, PresenceMessage } from "../protocol/presence";
import { CHANNELS } from "../transport/keys";
import type { NodeRecord } from "../cluster/node-registry";
import type { Transport, Unsubscribe } from "../transport/transport";

const debug = makeDebug("presence");

/** What this app-node knows of one io-node's rooms. */
interface IoView {
  /** False until a snapshot (or the io-node's very first announcement) made the picture whole. */
  ready: boolean;
  /** Last announcement applied. */
  seq: number;
  /** nsp -> rooms with at least one member there. */
  rooms: Map<string, Set<string>>;
  /** The announcement counter the registry showed at the previous heartbeat, while we were behind it. */
  behindAt?: number;
}

/**
 * The app-node's picture of room presence across io-nodes, from their announcements (see
 * `protocol/presence.ts`). An io-node whose picture is not whole (just seen, or an announcement was
 * missed) counts as present in every room until its snapshot arrives: a broadcast may then cost a
 * frame too many, never a delivery too few.
 *
 * @example
 * const presence = new RoomPresence(transport);
 * await presence.start();
 * const ioNodes = new Set<string>();
 * presence.collect("/", ["lobby"], ioNodes);
 */
export class RoomPresence {
  private readonly views = new Map<string, IoView>();
  private unsubscribe?: Unsubscribe;

  /** @param onConfirm called with an announcement that asks to be confirmed, once it is applied */
  constructor(
    private readonly transport: Transport,
    private readonly onConfirm?: (ioNodeId: string, seq: number) => void,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.transport.subscribe(CHANNELS.presence, (payload) => {
      const message = decodePresence(payload);
      if (!message) {
        warn("presence-garbage", `dropping an undecodable room presence message (${payload.length} bytes)`);
        return;
      }
      this.onMessage(message);
      // applied, or the io-node counts as present everywhere until its snapshot: either way a
      // broadcast from here now reaches what the announcement added
      if (message.confirm) this.onConfirm?.(message.from, message.seq);
    });
  }

  /**
   * Adds to `into` the io-nodes that may hold a member of any of `rooms` in `nsp` (of any socket of
   * `nsp` when `rooms` is empty).
   */
  collect(nsp: string, rooms: Iterable<string>, into: Set<string>, everyRoom: boolean): void {
    for (const [id, view] of this.views) {
      if (!view.ready) {
        into.add(id);
        continue;
      }
      const present = view.rooms.get(nsp);
      if (!present) continue;
      if (everyRoom || present.has(EVERY_ROOM)) {
        into.add(id);
        continue;
      }
      for (const room of rooms) {
        if (present.has(room)) {
          into.add(id);
          break;
        }
      }
    }
  }

  /** An io-node's heartbeat: first sight asks for its picture; a counter we lag behind for two beats means a lost announcement. */
  onHeartbeat(record: NodeRecord): void {
    if (record.role !== "io") return;
    const view = this.views.get(record.id);
    if (!view) {
      this.views.set(record.id, { ready: false, seq: 0, rooms: new Map() });
      this.requestSnapshot(record.id);
      return;
    }
    if (!view.ready) {
      // the request may have been lost (pub/sub is at most once): ask again each heartbeat
      this.requestSnapshot(record.id);
      return;
    }
    const announced = record.roomSeq ?? 0;
    if (announced <= view.seq) {
      view.behindAt = undefined;
      return;
    }
    if (view.behindAt !== undefined && view.seq < view.behindAt) {
      debug("io-node %s: announcement %d never arrived; asking for a snapshot", record.id, view.behindAt);
      this.resync(record.id, view);
      return;
    }
    view.behindAt = announced;
  }

  /** The io-node is gone: its rooms with it. */
  forget(ioNodeId: string): void {
    this.views.delete(ioNodeId);
  }

  private onMessage(m: PresenceMessage): void {
    let view = this.views.get(m.from);
    if (m.snapshot) {
      if (view && view.ready && m.seq < view.seq) return;
      view = { ready: true, seq: m.seq, rooms: new Map() };
      this.views.set(m.from, view);
      this.applyChanges(view, m.changes);
      return;
    }
    if (!view) {
      // the io-node's first announcement describes it whole: it started with no rooms
      view = { ready: m.seq === 1, seq: 0, rooms: new Map() };
      this.views.set(m.from, view);
      if (!view.ready) return this.requestSnapshot(m.from);
    }
    if (!view.ready || m.seq <= view.seq) return;
    if (m.seq !== view.seq + 1) {
      debug("io-node %s: announcement %d after %d; asking for a snapshot", m.from, m.seq, view.seq);
      return this.resync(m.from, view);
    }
    view.seq = m.seq;
    this.applyChanges(view, m.changes);
  }

  private applyChanges(view: IoView, changes: PresenceMessage["changes"]): void {
    for (const [nsp, room, present] of changes) {
      let rooms = view.rooms.get(nsp);
      if (present) {
        if (!rooms) view.rooms.set(nsp, (rooms = new Set()));
        rooms.add(room);
      } else if (rooms) {
        rooms.delete(room);
        if (rooms.size === 0) view.rooms.delete(nsp);
      }
    }
  }

  private resync(ioNodeId: string, view: IoView): void {
    view.ready = false;
    view.behindAt = undefined;
    this.requestSnapshot(ioNodeId);
  }

  private requestSnapshot(ioNodeId: string): void {
    this.transport.publish(CHANNELS.presenceSync, Buffer.from(ioNodeId)).catch((err: Error) => {
      debug("snapshot request to %s failed: %s", ioNodeId, err.message);
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
  }
}
