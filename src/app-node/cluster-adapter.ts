import {
  Adapter,
  BroadcastOptions,
  Room,
  SocketId,
  ClusterAdapterWithHeartbeat,
  ClusterMessage,
  ClusterResponse,
  MessageType,
  Offset,
  PrivateSessionId,
  Session,
} from "socket.io-adapter";
import { now } from "../clock";
import * as msgpack from "notepack.io";
import { debug as makeDebug, warn } from "../log";
import { Transport, Unsubscribe } from "../transport/transport";
import { adapterChannel, logKey, responseChannel } from "../transport/keys";
import type { RelayEngine } from "./relay-engine";
import type { RelayConnection } from "./relay-connection";
import type { BroadcastFrame } from "./io-link";
import { SessionSnapshots } from "./session-snapshots";
import { ClaimVerdict, SILENT_HEARTBEATS, StaleSessions } from "./stale-sessions";
import type { NodeRegistry } from "../cluster/node-registry";
import { LocalRooms } from "./local-rooms";
import {
  addRecoveryOffset,
  encodePacket,
  forEachTarget,
  notifyOutgoing,
  OutgoingListenerAware,
  peersLastSeen,
  serverOptions,
  watchOutgoingListeners,
} from "../socketio-shim";
import { nameAdminServer } from "./admin-ui";
import { BroadcastFlag, FrameType, Payload, RoomOp } from "../protocol/frame";
import { PeerRequests } from "./peer-requests";
import { isLoggable, LoggedPacket, RecoveryLog } from "./recovery-log";

const debug = makeDebug("adapter");

export interface RelayAdapterOptions {
  heartbeatInterval: number;
  nodeTimeout: number;
  /** ms `serverSideEmit` with an ack and `allRooms()` wait for the other app-nodes. */
  requestsTimeout: number;
}

/** How broadcasts reach the io-nodes: the app-node's links and its picture of room presence. */
export interface FanOut {
  /** The app-node's id (the name the admin UI shows for this server). */
  readonly id: string;
  /** Adds the io-nodes that may hold a member of `rooms` of `nsp` (of `nsp` when `everyRoom`). */
  collectIoNodes(nsp: string, rooms: string[], into: Set<string>, everyRoom: boolean): void;
  /** Sends a broadcast frame to one io-node, on the link that carries this app-node's writes to it. */
  broadcastTo(ioNodeId: string, frame: BroadcastFrame): void;
}

/**
 * Messages of ours between app-nodes, beside socket.io-adapter's own types (which stay below 100):
 * a broadcast is written by the io-nodes, but app-nodes whose sockets have `onAnyOutgoing`
 * listeners (they said so with OUTGOING_IN_USE) still hear of it, to notify them.
 */
const enum RelayMessageType {
  OUTGOING_NOTIFY = 101,
  OUTGOING_IN_USE = 102,
  /** A broadcast each app-node sends for its own sockets, in channel order (see `orderedUntil`). */
  ORDERED_BROADCAST = 103,
  /** `allRooms()`: every other app-node answers with the rooms of its namespace. */
  ALL_ROOMS = 104,
  ALL_ROOMS_RESPONSE = 105,
  /** A recovery claim: the app-node holding the pid's live socket settles it (see stale-sessions.ts). */
  STALE_CLAIM = 106,
  STALE_CLAIM_RESPONSE = 107,
}

/**
 * The adapter between app-nodes: Socket.IO's own `ClusterAdapterWithHeartbeat` (broadcasts, rooms,
 * fetchSockets, serverSideEmit, broadcast acks across servers) carried by our transport's pub/sub.
 *
 * With connection state recovery, broadcasts are also appended to a log in the transport and
 * sessions live there too, so a socket can be restored on any app-node, including when the
 * app-node that had it died without a word.
 */
export class RelayAdapter extends ClusterAdapterWithHeartbeat implements OutgoingListenerAware {
  private readonly channel: string;
  private readonly responseChannel: string;
  private readonly log: RecoveryLog;
  private readonly unsubscribes: Unsubscribe[] = [];
  private readonly recovery?: { maxDisconnectionDuration: number };
  private readonly snapshots?: SessionSnapshots;
  private readonly local = new LocalRooms();
  /** Whether a socket of this namespace here has an outgoing listener (then broadcasts notify it). */
  private outgoingInUse = false;
  /** Other app-nodes (adapter uids) whose sockets have outgoing listeners. */
  private readonly outgoingPeers = new Set<string>();
  /**
   * After a room change this app-node asked of the others (`socketsJoin`, `socketsLeave`,
   * `disconnectSockets`), its broadcasts travel the adapter channel for a while, behind that change,
   * as with the redis-adapter: each app-node then sends the broadcast for its own sockets, after it
   * applied the change. Sent straight to the io-nodes, a broadcast could overtake the change (it
   * reaches them on other links) or miss a room the presence picture does not show yet.
   */
  private orderedUntil = 0;
  private readonly orderedWindow: number;
  private readonly requestsTimeout: number;
  /** Our own requests to the other app-nodes (socket.io-adapter keeps its own). */
  private readonly peerRequests = new PeerRequests();
  private readonly stale?: StaleSessions;
  private readonly heartbeatInterval: number;

  constructor(
    nsp: any,
    private readonly transport: Transport,
    opts: RelayAdapterOptions,
    private readonly fanOut: FanOut,
    registry?: NodeRegistry,
  ) {
    super(nsp, { heartbeatInterval: opts.heartbeatInterval, heartbeatTimeout: opts.nodeTimeout });
    this.orderedWindow = opts.heartbeatInterval;
    this.requestsTimeout = opts.requestsTimeout;
    this.heartbeatInterval = opts.heartbeatInterval;
    this.channel = adapterChannel(nsp.name);
    this.responseChannel = responseChannel(nsp.name, this.uid);
    this.log = new RecoveryLog(transport, logKey(nsp.name));
    // socket.io filled in its defaults before it created the adapters
    const csr = serverOptions(nsp.server).connectionStateRecovery as { maxDisconnectionDuration: number } | undefined;
    if (csr) {
      this.recovery = { maxDisconnectionDuration: csr.maxDisconnectionDuration };
      this.snapshots = new SessionSnapshots(this.transport, nsp, csr.maxDisconnectionDuration, opts.heartbeatInterval);
      if (registry) this.stale = new StaleSessions(nsp, registry, this.snapshots, opts, this.transport);
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
   * A broadcast is one frame to each io-node that holds a member of its rooms, wherever the members'
   * owners are; the io-nodes write it. It leaves in the same tick, so its order against this
   * app-node's other writes and room changes is the one plain Socket.IO gives. With recovery it
   * first waits for its offset in the log.
   */
  override broadcast(packet: any, bopts: BroadcastOptions): any {
    nameAdminServer(packet, this.fanOut.id);
    if (this.recovery && !bopts.flags?.local) return this.broadcastWithOffset(packet, bopts);
    this.deliver(packet, bopts);
  }

  /** `offset`: where the recovery log holds the packet, when it does. */
  private deliver(packet: any, bopts: BroadcastOptions, offset?: string): void {
    if (bopts.flags?.local || now() >= this.orderedUntil) return this.sendToIoNodes(packet, bopts, offset);
    packet.nsp = this.nsp.name;
    this.publish({ type: RelayMessageType.ORDERED_BROADCAST, data: { packet, opts: encodeOptions(bopts), offset } } as never);
    this.sendToIoNodes(packet, { ...bopts, flags: { ...bopts.flags, local: true } }, offset);
  }

  /**
   * A broadcast a recovering client may need again: it is logged first (the log gives its offset,
   * which goes into the packet), then sent. Later writes and room changes of this app-node wait
   * behind it, so nothing overtakes it (see RelayEngine).
   */
  private broadcastWithOffset(packet: any, bopts: BroadcastOptions): void {
    const engine = this.nsp.server.engine as RelayEngine;
    if (!isLoggable(packet, bopts)) {
      if (engine._mustWait()) engine._enqueue(() => this.deliver(packet, bopts));
      else this.deliver(packet, bopts);
      return;
    }
    const fill = engine._reserve();
    const entry: LoggedPacket = { data: packet.data, opts: { rooms: [...bopts.rooms], except: [...(bopts.except ?? [])] } };
    this.log
      .append(entry)
      .catch((err: Error) => {
        debug("broadcast not logged: %s", err.message);
        return "";
      })
      .then((offset) =>
        fill(() => {
          if (offset) addRecoveryOffset(this, packet, bopts, offset);
          this.deliver(packet, bopts, offset || undefined);
        }),
      );
  }

  /** Encodes the packet once and sends it to the io-nodes with members; notifies outgoing listeners. */
  private sendToIoNodes(packet: any, bopts: BroadcastOptions, offset?: string): void {
    const flags = bopts.flags ?? {};
    packet.nsp = this.nsp.name;
    if (this.outgoingInUse) forEachTarget(this, bopts, (socket) => notifyOutgoing(socket, packet));
    if (!flags.local && this.outgoingPeers.size > 0) {
      this.publish({ type: RelayMessageType.OUTGOING_NOTIFY, data: { packet, opts: encodeOptions(bopts) } } as never);
    }
    const rooms = [...bopts.rooms];
    const everyRoom = rooms.length === 0;
    const ioNodes = new Set<string>();
    this.local.collect(rooms, ioNodes, everyRoom);
    if (!flags.local) this.fanOut.collectIoNodes(this.nsp.name, rooms, ioNodes, everyRoom);
    if (ioNodes.size === 0) return;
    const frame: BroadcastFrame = {
      type: FrameType.BROADCAST,
      nsp: this.nsp.name,
      rooms,
      except: bopts.except ? [...bopts.except] : [],
      flags:
        (flags.volatile ? BroadcastFlag.VOLATILE : 0) |
        (flags.compress === false ? BroadcastFlag.NO_COMPRESS : 0) |
        (flags.local ? BroadcastFlag.LOCAL : 0),
      ...(offset ? { offset } : {}),
      data: encodePacket(this, packet) as Payload[],
    };
    for (const id of ioNodes) this.fanOut.broadcastTo(id, frame);
  }

  override onMessage(message: ClusterMessage, offset?: string): void {
    super.onMessage(message, offset);
    const m = message as unknown as { type: number; uid: string; nsp: string; data?: { packet: any; opts: EncodedOptions; offset?: unknown } };
    if (m.uid === this.uid || m.nsp !== this.nsp.name) return;
    switch (m.type) {
      case MessageType.INITIAL_HEARTBEAT:
        // a new app-node learns who needs to hear of broadcasts
        if (this.outgoingInUse) this.publish({ type: RelayMessageType.OUTGOING_IN_USE } as never);
        return;
      case MessageType.ADAPTER_CLOSE:
        this.outgoingPeers.delete(m.uid);
        return;
      case RelayMessageType.OUTGOING_IN_USE:
        this.outgoingPeers.add(m.uid);
        return;
      case RelayMessageType.ORDERED_BROADCAST: {
        if (!m.data) return;
        const packet = m.data.packet;
        const bopts = decodeOptions(m.data.opts);
        bopts.flags = { ...bopts.flags, local: true };
        const offset = typeof m.data.offset === "string" ? m.data.offset : undefined;
        const engine = this.nsp.server.engine as RelayEngine;
        // behind this app-node's own writes that wait for a recovery offset
        if (engine._mustWait()) engine._enqueue(() => this.sendToIoNodes(packet, bopts, offset));
        else this.sendToIoNodes(packet, bopts, offset);
        return;
      }
      case RelayMessageType.ALL_ROOMS: {
        const requestId = (m.data as { requestId?: unknown } | undefined)?.requestId;
        if (typeof requestId !== "string") return;
        this.publishResponse(m.uid, {
          type: RelayMessageType.ALL_ROOMS_RESPONSE,
          data: { requestId, rooms: [...this.rooms.keys()] },
        } as never);
        return;
      }
      case RelayMessageType.STALE_CLAIM: {
        const { requestId, pid } = (m.data ?? {}) as { requestId?: unknown; pid?: unknown };
        if (typeof requestId !== "string" || typeof pid !== "string" || !this.stale) return;
        void this.stale.settleLocal(pid).then((verdict) =>
          this.publishResponse(m.uid, { type: RelayMessageType.STALE_CLAIM_RESPONSE, data: { requestId, verdict } } as never),
        );
        return;
      }
      case RelayMessageType.OUTGOING_NOTIFY:
        if (this.outgoingInUse && m.data) {
          const packet = m.data.packet;
          forEachTarget(this, decodeOptions(m.data.opts), (socket) => notifyOutgoing(socket, packet));
        }
        return;
    }
  }

  /**
   * `serverSideEmit` with an ack, as the redis-adapter does it: the ack gets
   * `(null, responses)` once every other app-node answered, or, when `requestsTimeout` passes
   * first, `(Error("timeout reached: only N responses received out of M"), responses so far)`.
   * (socket.io-adapter's own version waits a fixed 5 s, words its error otherwise and ends the
   * request early, without error, when a silent peer's heartbeat lapses.)
   *
   * @example
   * io.serverSideEmit("ping", (err, responses) => { if (err) console.log(err.message, responses); });
   * const responses = await io.serverSideEmitWithAck("ping"); // rejects with err.responses
   */
  override async serverSideEmit(packet: any[]): Promise<any> {
    if (typeof packet[packet.length - 1] !== "function") return super.serverSideEmit(packet);
    const ack = packet.pop() as (err: Error | null, responses: unknown[]) => void;
    const expected = (await this.serverCount()) - 1;
    if (expected <= 0) return ack(null, []);
    const responses: unknown[] = [];
    const requestId = this.peerRequests.ask(expected, {
      answer: (data) => responses.push(data?.packet),
      complete: () => ack(null, responses),
      timeout: () => ack(new Error(`timeout reached: only ${responses.length} responses received out of ${expected}`), responses),
    }, this.requestsTimeout);
    this.publish({ type: MessageType.SERVER_SIDE_EMIT, data: { requestId, packet } });
  }

  /**
   * Every room of this namespace on every app-node (socket ids included, as they are rooms), as
   * the redis-adapter's `allRooms()`; rejects when an app-node does not answer in `requestsTimeout`.
   *
   * @example
   * const rooms = await (io.of("/").adapter as any).allRooms(); // Set { "room1", "<socket id>", ... }
   */
  async allRooms(): Promise<Set<Room>> {
    const rooms = new Set<Room>(this.rooms.keys());
    const expected = (await this.serverCount()) - 1;
    if (expected <= 0) return rooms;
    return new Promise((resolve, reject) => {
      const requestId = this.peerRequests.ask(expected, {
        answer: (data) => {
          if (Array.isArray(data?.rooms)) for (const room of data.rooms) rooms.add(room);
        },
        complete: () => resolve(rooms),
        timeout: () => reject(new Error("timeout reached while waiting for allRooms response")),
      }, this.requestsTimeout);
      this.publish({ type: RelayMessageType.ALL_ROOMS, data: { requestId } } as never);
    });
  }

  /**
   * Settles a recovery claim everywhere before its session is read: this app-node's socket of
   * that pid, else the one of the app-node that holds it (each answers once it settled its own).
   * Only app-nodes heard from lately are waited for: a dead one holds no live socket.
   */
  private async settleClaim(pid: string): Promise<ClaimVerdict> {
    const local = await this.stale!.settleLocal(pid);
    if (local !== "none") return local;
    const nodesMap = peersLastSeen(this);
    const recent = Date.now() - SILENT_HEARTBEATS * this.heartbeatInterval;
    const expected = [...nodesMap.values()].filter((lastSeen) => lastSeen >= recent).length;
    if (expected === 0) return "none";
    return new Promise((resolve) => {
      let verdict: ClaimVerdict = "none";
      let requestId = "";
      const finish = () => {
        this.peerRequests.finish(requestId);
        resolve(verdict);
      };
      requestId = this.peerRequests.ask(
        expected,
        {
          answer: (data) => {
            if (data?.verdict !== "retired" && data?.verdict !== "alive") return;
            // one app-node holds the socket: its word settles the claim
            verdict = data.verdict;
            finish();
          },
          complete: () => resolve(verdict),
          timeout: () => {
            warn("claim-timeout", `adapter ${this.channel}: an app-node did not answer a recovery claim in time; restoring`);
            resolve(verdict);
          },
        },
        this.stale!.maxWait + this.requestsTimeout,
      );
      this.publish({ type: RelayMessageType.STALE_CLAIM, data: { requestId, pid } } as never);
    });
  }

  override onResponse(response: ClusterResponse): void {
    const data = (response as { data?: { requestId?: unknown } }).data;
    if (!this.peerRequests.answered(response.uid, data)) super.onResponse(response);
  }

  /** A socket of this namespace got an outgoing listener (see src/socketio-shim.ts). @internal */
  _outgoingListenerAdded(): void {
    if (this.outgoingInUse) return;
    this.outgoingInUse = true;
    this.publish({ type: RelayMessageType.OUTGOING_IN_USE } as never);
  }

  /**
   * Room changes reach the socket's io-node on the link of its writes. A socket is announced there
   * when it joins its own room (it is connected then); rooms it got before (a restored session,
   * a join in a middleware) go with that first word.
   */
  override addAll(id: SocketId, rooms: Set<Room>): void {
    const before = this.sids.get(id);
    const added: string[] = [];
    for (const room of rooms) if (!before?.has(room)) added.push(room);
    super.addAll(id, rooms);
    let conn = this.local.connectionOf(id);
    if (conn && rooms.has(id) && this.staleEntry(id, conn)) {
      // the socket connects on another connection than the one announced under its id (a session
      // restored while an older socket of that id was still listed): its io-node must learn its rooms
      this.local.disconnected(id, before ?? []);
      conn = undefined;
    }
    if (conn) {
      if (added.length === 0) return;
      this.local.joined(id, added);
      conn._rooms(this.nsp.name, id, RoomOp.JOIN, added);
      return;
    }
    if (!rooms.has(id)) return;
    const socket = this.nsp.sockets.get(id) as { conn?: unknown } | undefined;
    const relay = socket?.conn as RelayConnection | undefined;
    if (!relay || typeof relay._rooms !== "function") return;
    const all = [...(this.sids.get(id) ?? [])];
    this.local.connected(id, relay, all);
    relay._rooms(this.nsp.name, id, RoomOp.JOIN, all);
  }

  /** Whether the connection listed for a socket id is not the one of the socket connected now. */
  private staleEntry(id: SocketId, listed: RelayConnection): boolean {
    const current = (this.nsp.sockets.get(id) as { conn?: unknown } | undefined)?.conn;
    return current !== undefined && current !== listed;
  }

  override del(id: SocketId, room: Room): void {
    const had = this.sids.get(id)?.has(room) === true;
    super.del(id, room);
    const conn = this.local.connectionOf(id);
    if (!had || !conn) return;
    this.local.left(id, [room]);
    conn._rooms(this.nsp.name, id, RoomOp.LEAVE, [room]);
  }

  /**
   * Room changes and disconnections apply to local sockets in the same tick (as on one server),
   * so a broadcast or fetchSockets right after sees them; other app-nodes apply them in channel order.
   */
  override async addSockets(bopts: BroadcastOptions, rooms: string[]): Promise<void> {
    if (!bopts.flags?.local) this.orderBroadcasts();
    if (!bopts.flags?.local) this.publish({ type: MessageType.SOCKETS_JOIN, data: { opts: encodeOptions(bopts), rooms } } as never);
    Adapter.prototype.addSockets.call(this, bopts, rooms);
  }

  override async delSockets(bopts: BroadcastOptions, rooms: string[]): Promise<void> {
    if (!bopts.flags?.local) this.orderBroadcasts();
    if (!bopts.flags?.local) this.publish({ type: MessageType.SOCKETS_LEAVE, data: { opts: encodeOptions(bopts), rooms } } as never);
    Adapter.prototype.delSockets.call(this, bopts, rooms);
  }

  override async disconnectSockets(bopts: BroadcastOptions, close: boolean): Promise<void> {
    if (!bopts.flags?.local) this.orderBroadcasts();
    if (!bopts.flags?.local) this.publish({ type: MessageType.DISCONNECT_SOCKETS, data: { opts: encodeOptions(bopts), close } } as never);
    Adapter.prototype.disconnectSockets.call(this, bopts, close);
  }

  private orderBroadcasts(): void {
    this.orderedUntil = now() + this.orderedWindow;
  }

  protected override async doPublish(message: ClusterMessage): Promise<Offset> {
    await this.transport.publish(this.channel, msgpack.encode([message, ""]));
    return "";
  }

  protected override async doPublishResponse(requesterUid: string, response: ClusterResponse): Promise<void> {
    await this.transport.publish(responseChannel(this.nsp.name, requesterUid), msgpack.encode(response));
  }

  override delAll(id: string): void {
    const rooms = [...(this.sids.get(id) ?? [])];
    super.delAll(id);
    this.snapshots?.forget(id);
    const conn = this.local.connectionOf(id);
    if (!conn) return;
    this.local.disconnected(id, rooms);
    conn._rooms(this.nsp.name, id, RoomOp.LEAVE_ALL, []);
  }

  override persistSession(session: Session): void {
    if (!this.snapshots) return;
    this.snapshots.persist(session);
  }

  // Socket.IO treats a null session as "not recoverable" although the typing says otherwise
  override async restoreSession(pid: PrivateSessionId, offset: Offset): Promise<Session> {
    // read before anything is awaited: Socket.IO calls this while it handles the CONNECT packet
    const claimant = (this.nsp.server.engine as RelayEngine)._receiving;
    return (await this.restore(pid, offset, claimant)) as Session;
  }

  private async restore(pid: PrivateSessionId, offset: Offset, claimant?: RelayConnection): Promise<Session | null> {
    if (!this.snapshots) return null;
    // a re-homed connection's old owner left or died: its socket is not live anywhere, nothing to settle
    if (this.stale && claimant?.rehomed !== true && (await this.settleClaim(pid)) === "alive") {
      debug("session %s is live on an io-node that answers: not restored", pid);
      return null;
    }
    const stored = await this.snapshots.load(pid);
    if (!stored) return null;
    const entries = await this.log.read(stored, offset);
    if (!entries) {
      debug("offset %s of session %s is not in the log anymore", offset, pid);
      return null;
    }
    const missedPackets = this.log.missed(stored, entries);
    await this.snapshots.consume(pid);
    return { sid: stored.sid, pid: stored.pid, rooms: stored.rooms, data: stored.data, missedPackets };
  }

  /**
   * Resolves once the sessions Socket.IO persisted so far are stored (false if one could not be):
   * then another app-node can restore them. @internal
   */
  sessionsPersisted(): Promise<boolean> {
    return this.snapshots ? this.snapshots.persisted() : Promise.resolve(false);
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
export function createRelayAdapter(transport: Transport, opts: RelayAdapterOptions, fanOut: FanOut, registry?: NodeRegistry) {
  watchOutgoingListeners();
  return function (nsp: any) {
    return new RelayAdapter(nsp, transport, opts, fanOut, registry);
  };
}

interface EncodedOptions {
  rooms: string[];
  except: string[];
  flags: BroadcastOptions["flags"];
}

/** Broadcast options as the cluster adapter's messages carry them. */
function encodeOptions(bopts: BroadcastOptions): EncodedOptions {
  return { rooms: [...bopts.rooms], except: [...(bopts.except ?? [])], flags: bopts.flags ?? {} };
}

function decodeOptions(opts: EncodedOptions): BroadcastOptions {
  return { rooms: new Set(opts?.rooms ?? []), except: new Set(opts?.except ?? []), flags: opts?.flags ?? {} };
}

