import {
  Adapter,
  BroadcastOptions,
  ClusterAdapterWithHeartbeat,
  ClusterMessage,
  ClusterResponse,
  MessageType,
  Offset,
  PrivateSessionId,
  Session,
} from "socket.io-adapter";
import * as msgpack from "notepack.io";
import { debug as makeDebug, warn } from "../log";
import { Transport, Unsubscribe } from "../transport/transport";
import type { RelayEngine } from "./relay-engine";
import { SessionSnapshots, StoredSession } from "./session-snapshots";

const debug = makeDebug("adapter");

export interface RelayAdapterOptions {
  heartbeatInterval: number;
  nodeTimeout: number;
}

/** Packets kept for connection state recovery, per namespace (the log is trimmed beyond). */
const MAX_LOGGED_PACKETS = 100_000;

interface LoggedPacket {
  data: unknown[];
  opts: { rooms: string[]; except: string[] };
}

/**
 * The adapter between app-nodes: Socket.IO's own `ClusterAdapterWithHeartbeat` (broadcasts, rooms,
 * fetchSockets, serverSideEmit, broadcast acks across servers) carried by our transport's pub/sub.
 *
 * With connection state recovery, broadcasts are also appended to a log in the transport and
 * sessions live there too, so a socket can be restored on any app-node, including when the
 * app-node that had it died without a word.
 */
export class RelayAdapter extends ClusterAdapterWithHeartbeat {
  private readonly channel: string;
  private readonly responseChannel: string;
  private readonly logKey: string;
  private readonly unsubscribes: Unsubscribe[] = [];
  private readonly recovery?: { maxDisconnectionDuration: number };
  private readonly snapshots?: SessionSnapshots;

  constructor(
    nsp: any,
    private readonly transport: Transport,
    opts: RelayAdapterOptions,
  ) {
    super(nsp, { heartbeatInterval: opts.heartbeatInterval, heartbeatTimeout: opts.nodeTimeout });
    this.channel = `adapter#${nsp.name}`;
    this.responseChannel = `adapter#${nsp.name}#${this.uid}`;
    this.logKey = `log#${nsp.name}`;
    const csr = nsp.server.opts.connectionStateRecovery;
    if (csr) {
      this.recovery = { maxDisconnectionDuration: csr.maxDisconnectionDuration };
      this.snapshots = new SessionSnapshots(this.transport, nsp, csr.maxDisconnectionDuration, opts.heartbeatInterval);
    }
  }

  override async init(): Promise<void> {
    this.unsubscribes.push(await this.transport.subscribe(this.channel, (p) => this.onPayload(p)));
    this.unsubscribes.push(await this.transport.subscribe(this.responseChannel, (p) => this.onResponsePayload(p)));
    super.init();
  }

  private onPayload(payload: Buffer): void {
    let message: ClusterMessage;
    let offset: string;
    try {
      [message, offset] = msgpack.decode(payload) as [ClusterMessage, string];
      if (!message || typeof message.type !== "number" || typeof message.uid !== "string") throw new Error("not a cluster message");
    } catch (err) {
      warn("adapter-garbage", `adapter ${this.channel}: dropping an undecodable message: ${(err as Error).message}`);
      return;
    }
    this.onMessage(message, offset || undefined);
  }

  private onResponsePayload(payload: Buffer): void {
    let response: ClusterResponse;
    try {
      response = msgpack.decode(payload) as ClusterResponse;
      if (!response || typeof response.type !== "number") throw new Error("not a cluster response");
    } catch (err) {
      warn("adapter-garbage", `adapter ${this.channel}: dropping an undecodable response: ${(err as Error).message}`);
      return;
    }
    this.onResponse(response);
  }

  /**
   * Without recovery, a broadcast is published and delivered locally in the same tick, so its
   * order against `socket.emit` is the one plain Socket.IO gives. With recovery, the local delivery
   * waits for the log's offset, as every emit then goes through here.
   */
  override broadcast(packet: any, bopts: BroadcastOptions): any {
    if (this.recovery && !bopts.flags?.local) return this.broadcastWithOffset(packet, bopts);
    if (!bopts.flags?.local) {
      this.publish({ type: MessageType.BROADCAST, data: { packet, opts: encodeOptions(bopts) } } as never);
    }
    return Adapter.prototype.broadcast.call(this, packet, bopts);
  }

  /**
   * A broadcast a recovering client may need again: it is logged first (the log gives its offset,
   * which goes into the packet), then delivered to the sockets it targeted when it was sent.
   * Later writes of this app-node wait behind it, so nothing overtakes it (see RelayEngine).
   */
  private broadcastWithOffset(packet: any, bopts: BroadcastOptions): void {
    const engine = this.nsp.server.engine as Partial<RelayEngine>;
    if (typeof engine._reserve !== "function") return void super.broadcast(packet, bopts);
    const targets: any[] = [];
    (this as any).apply(bopts, (socket: unknown) => targets.push(socket));
    const fill = engine._reserve();
    this.publishAndReturnOffset({ type: MessageType.BROADCAST, data: { packet, opts: encodeOptions(bopts) } } as never)
      .catch((err: Error) => {
        debug("broadcast not logged: %s", err.message);
        return "";
      })
      .then((offset) =>
        fill(() => {
          if (offset) (this as any).addOffsetIfNecessary(packet, bopts, offset);
          const flags = bopts.flags ?? {};
          const packetOpts = { preEncoded: true, volatile: flags.volatile, compress: flags.compress };
          packet.nsp = this.nsp.name;
          const encoded = (this as any)._encode(packet, packetOpts);
          for (const socket of targets) {
            socket.notifyOutgoingListeners?.(packet);
            socket.client.writeToEngine(encoded, packetOpts);
          }
        }),
      );
  }

  /**
   * Room changes and disconnections apply to local sockets in the same tick (as on one server),
   * so a broadcast or fetchSockets right after sees them; other app-nodes apply them in channel order.
   */
  override async addSockets(bopts: BroadcastOptions, rooms: string[]): Promise<void> {
    if (!bopts.flags?.local) this.publish({ type: MessageType.SOCKETS_JOIN, data: { opts: encodeOptions(bopts), rooms } } as never);
    Adapter.prototype.addSockets.call(this, bopts, rooms);
  }

  override async delSockets(bopts: BroadcastOptions, rooms: string[]): Promise<void> {
    if (!bopts.flags?.local) this.publish({ type: MessageType.SOCKETS_LEAVE, data: { opts: encodeOptions(bopts), rooms } } as never);
    Adapter.prototype.delSockets.call(this, bopts, rooms);
  }

  override async disconnectSockets(bopts: BroadcastOptions, close: boolean): Promise<void> {
    if (!bopts.flags?.local) this.publish({ type: MessageType.DISCONNECT_SOCKETS, data: { opts: encodeOptions(bopts), close } } as never);
    Adapter.prototype.disconnectSockets.call(this, bopts, close);
  }

  protected override async doPublish(message: ClusterMessage): Promise<Offset> {
    let offset = "";
    if (this.recovery && isLoggable(message)) {
      const data = (message as { data: unknown }).data as { packet: { data: unknown[] }; opts: { rooms: string[]; except: string[] } };
      const entry: LoggedPacket = { data: data.packet.data, opts: { rooms: data.opts.rooms, except: data.opts.except } };
      offset = await this.transport.appendLog(this.logKey, msgpack.encode(entry), MAX_LOGGED_PACKETS);
    }
    await this.transport.publish(this.channel, msgpack.encode([message, offset]));
    return offset;
  }

  protected override async doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void> {
    await this.transport.publish(`adapter#${this.nsp.name}#${requesterUid}`, msgpack.encode(response));
  }

  override delAll(id: string): void {
    super.delAll(id);
    this.snapshots?.forget(id);
  }

  override persistSession(session: Session): void {
    if (!this.snapshots) return;
    this.snapshots.persist(session);
  }

  // Socket.IO treats a null session as "not recoverable" although the typing says otherwise
  override async restoreSession(pid: PrivateSessionId, offset: Offset): Promise<Session> {
    return (await this.restore(pid, offset)) as Session;
  }

  private async restore(pid: PrivateSessionId, offset: Offset): Promise<Session | null> {
    if (!this.snapshots) return null;
    const stored = await this.snapshots.load(pid);
    if (!stored) return null;
    const entries =
      offset === ""
        ? await this.transport.readLogSince(this.logKey, stored.since)
        : await this.transport.readLog(this.logKey, offset);
    if (!entries) {
      debug("offset %s of session %s is not in the log anymore", offset, pid);
      return null;
    }
    const missedPackets: unknown[][] = [];
    for (const { id, payload } of entries) {
      let entry: LoggedPacket;
      try {
        entry = msgpack.decode(payload) as LoggedPacket;
      } catch {
        warn("log-garbage", `recovery log ${this.logKey}: skipping an undecodable entry ${id}`);
        continue;
      }
      if (Array.isArray(entry?.data) && reaches(stored, entry.opts)) missedPackets.push([...entry.data, id]);
    }
    await this.snapshots.consume(pid);
    return { sid: stored.sid, pid: stored.pid, rooms: stored.rooms, data: stored.data, missedPackets };
  }

  /** Stores every live session now (before a hand-over). */
  snapshotNow(): void {
    this.snapshots?.snapshot();
  }

  override close(): void {
    super.close();
    this.snapshots?.close();
    for (const unsubscribe of this.unsubscribes.splice(0)) void unsubscribe().catch(() => undefined);
  }
}

/**
 * The adapter factory for a Socket.IO server of this cluster (Socket.IO calls it with `new`).
 */
export function createRelayAdapter(transport: Transport, opts: RelayAdapterOptions) {
  return function (nsp: any) {
    return new RelayAdapter(nsp, transport, opts);
  };
}

/** Broadcast options as the cluster adapter's messages carry them. */
function encodeOptions(bopts: BroadcastOptions): { rooms: string[]; except: string[]; flags: BroadcastOptions["flags"] } {
  return { rooms: [...bopts.rooms], except: [...(bopts.except ?? [])], flags: bopts.flags ?? {} };
}

/** A broadcast a recovering client may have missed: an event, without ack, not volatile. */
function isLoggable(message: ClusterMessage): boolean {
  if (message.type !== MessageType.BROADCAST) return false;
  const data = (message as { data: unknown }).data as { packet: { type: number; id?: number }; opts: { flags?: { volatile?: boolean } }; requestId?: string };
  return data.packet.type === 2 && data.packet.id === undefined && !data.requestId && !data.opts.flags?.volatile;
}

/** Whether a packet sent to `opts.rooms` except `opts.except` would have reached this session. */
function reaches(session: StoredSession, opts: LoggedPacket["opts"] | undefined): boolean {
  if (!opts) return false;
  const rooms = new Set(session.rooms);
  const included = opts.rooms.length === 0 || opts.rooms.some((r) => rooms.has(r));
  return included && !opts.except.some((r) => rooms.has(r));
}
