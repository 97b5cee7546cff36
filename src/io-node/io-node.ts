import { EventEmitter } from "events";
import { createServer, Server as HttpServer } from "http";
import { Server as EngineServer, Socket as EioSocket, ServerOptions as EngineServerOptions, AttachOptions } from "engine.io";
import { ClusterMember } from "../cluster/cluster-member";
import type { NodeRecord, NodeRegistry } from "../cluster/node-registry";
import { debug as makeDebug, warn } from "../log";
import { ClusterOptions, resolveClusterOptions, ResolvedClusterOptions } from "../options";
import type { Transport } from "../transport/transport";
import WebSocket from "ws";
import { Batch, BroadcastFlag, CloseDescription, Frame, FrameType, Handshake, Payload, RoomOp } from "../protocol/frame";
import { attachmentCount, connectPacket, packetJsonBody, packetNamespace, packetType, SioType, trailingOffset } from "../protocol/socketio-peek";
import { AppLink, FrameSink, LocalAppLink, RemoteAppLink } from "./app-link";
import { HeldConnection, JoinedNamespace } from "./held-connection";
import { OwnerPicker } from "./owner-picker";
import { RoomIndex } from "./room-index";
import { PresenceAnnouncer } from "./presence-announcer";
import { RecoveryWindows } from "./recovery-window";
import { Rebalancer } from "./rebalancer";
import type { Move, OwnedConnections } from "./rebalance-plan";
import { EVERY_ROOM } from "../protocol/presence";
import { serveClientBundle } from "../http/socket-io-client";
import { advertisedAddress, listen } from "../http/listen";
import { clearTimeout, setTimeout } from "../clock";
import type { MemberSample } from "../cluster/cluster-member";

const debug = makeDebug("io-node");

export interface IoNodeOptions extends Partial<EngineServerOptions>, AttachOptions, ClusterOptions {
  /** Attach to this HTTP(S) server. */
  httpServer?: HttpServer;
  /** Or create an HTTP server listening on this port. */
  port?: number;
  /** Interface to bind when `port` is given. @default all interfaces */
  host?: string;
  /** Serve the Socket.IO browser client at `<path>/socket.io.js`. @default true */
  serveClient?: boolean;
  /**
   * host:port that browsers use to reach this io-node, advertised in the registry and by
   * frontend-nodes. @default the bound address
   */
  publicAddress?: string;
  /** Client packets kept per connection while no app-node can take it. @default 1000 */
  maxPendingPackets?: number;
  /** ms a connection may wait for a live app-node before it is closed. @default 30000 */
  pendingTimeout?: number;
}

/**
 * An io-node: it holds client connections with the real Engine.IO server and relays each
 * connection's packets to the app-node that owns it.
 *
 * Events: `joined` and `left` ({ connId, nsp, sid }) when a client's socket in a namespace is
 * confirmed by its app-node or goes away; `moved` ({ connId, from, to }) when rebalancing handed a
 * connection to another app-node (its sessions are being restored there).
 *
 * @example
 * const ioNode = createIoNode({ port: 8081, redis: "redis://localhost:6379" });
 * await ioNode.ready();
 */
export class IoNode extends EventEmitter {
  readonly id: string;
  readonly engine: EngineServer;
  readonly httpServer: HttpServer;
  private readonly cluster: ResolvedClusterOptions;
  /** Its start, heartbeat, inbox, metrics and leave, as every node's. */
  private readonly member: ClusterMember;
  private readonly registry: NodeRegistry;
  private readonly held = new Map<string, HeldConnection>();
  /** One link per app-node, for everything (REVOKE frames included): one sequence per pair. */
  private readonly links = new Map<string, AppLink>();
  private readonly picker: OwnerPicker;
  /** Spreads the connections over the app-nodes as they join (absent when `rebalance: false`). */
  private rebalancer?: Rebalancer;
  /** Which held connections are in which rooms, so broadcasts fan out here. */
  private readonly rooms: RoomIndex;
  private readonly presence: PresenceAnnouncer;
  /** Sessions being restored, and the broadcasts kept for them meanwhile. */
  private readonly windows: RecoveryWindows<HeldConnection>;
  /** Set while a ROOMS frame is applied when a named room appears here (see {@link handleFrame}). */
  private roomAppeared = false;
  /** Frames from app-nodes that wait until a new room's announcement is out. */
  private readonly waitingFrames: Array<[string, Frame]> = [];
  private framesOnHold = false;
  private local?: { appId: string; sink: FrameSink };
  private readonly ownsHttpServer: boolean;
  private readonly maxPendingPackets: number;
  private readonly pendingTimeout: number;
  private readonly publicAddress?: string;
  private messages = 0;
  /**
   * Client packets replayed to a connection's new owner after its app-node died without
   * acknowledging them. The dead node may have handled some: each is a possible duplicate.
   */
  replayedPackets = 0;
  /** Client traffic, for the metrics: plain increments, read only when scraped. */
  private readonly traffic = { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, rehomed: 0, recovered: 0 };
  private clientInfoProvider?: (connId: string) => Record<string, unknown> | undefined;
  private closed = false;

  constructor(opts: IoNodeOptions = {}, resolved?: ResolvedClusterOptions) {
    super();
    this.cluster = resolved ?? resolveClusterOptions(opts);
    this.member = new ClusterMember(this.cluster, {
      role: "io",
      label: "io-node",
      record: () => ({
        address: this.address(),
        connections: this.held.size,
        messages: this.messages,
        roomSeq: this.presence.seq,
        replayed: this.replayedPackets,
      }),
      sample: () => this.metricsSample(),
      onBatch: (batch) => this.onBatch(batch),
      parts: () => [this.presence],
    });
    this.id = this.member.id;
    this.registry = this.member.registry;
    this.maxPendingPackets = opts.maxPendingPackets ?? 1000;
    this.pendingTimeout = opts.pendingTimeout ?? 30_000;
    this.publicAddress = opts.publicAddress;
    this.picker = new OwnerPicker(this.cluster.ownerStrategy);
    if (this.cluster.rebalance) {
      this.rebalancer = new Rebalancer(
        { owners: () => this.owners(), move: (m) => this.move(m) },
        this.cluster.rebalance.maxPerSecond,
      );
    }
    this.presence = new PresenceAnnouncer(this.cluster.transport, this.id, () => this.presentRooms());
    this.windows = new RecoveryWindows<HeldConnection>(
      (nsp, present) => this.presence.changed(nsp, EVERY_ROOM, present),
      {
        write: (hc, data, options, volatile) => {
          if (volatile && !hc.socket.transport.writable) return;
          this.messages++;
          this.countOut(data);
          hc.socket.write(data, options);
        },
        overflow: (hc) => {
          warn("recovery-overflow", `io-node ${this.id}: more than ${this.maxPendingPackets} broadcasts while connection ${hc.id} restored its session; closing it`);
          hc.socket.close();
        },
      },
      this.maxPendingPackets,
    );
    this.rooms = new RoomIndex((nsp, room, present, own) => {
      this.presence.changed(nsp, room, present);
      if (present && !own) this.roomAppeared = true;
    });

    const { httpServer, port, host, serveClient, publicAddress, maxPendingPackets, pendingTimeout, ...rest } = opts;
    const engineOpts = stripClusterOptions(rest);
    engineOpts.path = (engineOpts.path ?? "/socket.io").replace(/\/$/, "") + "/";
    this.ownsHttpServer = !httpServer;
    this.httpServer =
      httpServer ??
      createServer((_req, res) => {
        res.writeHead(404);
        res.end();
      });
    this.engine = new EngineServer(engineOpts);
    this.engine.attach(this.httpServer, engineOpts);
    if (serveClient !== false) serveClientBundle(this.httpServer, engineOpts.path, engineOpts.cors);
    const listening = port === undefined ? Promise.resolve() : listen(this.httpServer, port, host);
    this.engine.on("connection", (socket: EioSocket) => this.onConnection(socket));

    this.registry.on("up", (r: NodeRecord) => this.onNodeUp(r));
    this.registry.on("change", (r: NodeRecord) => {
      if (r.role !== "app") return;
      this.picker.refreshed(r.id);
      this.rebalancer?.check();
    });
    this.registry.on("down", (r: NodeRecord) => r.role === "app" && this.onAppDown(r.id));
    this.member.start(listening);
  }

  /** What the metrics read of this node when scraped (see `metrics/metrics.ts`). */
  private metricsSample(): MemberSample {
    let queueDepth = 0;
    for (const link of this.links.values()) queueDepth += link.unackedBatches;
    return {
      connections: this.held.size,
      ...this.traffic,
      queueDepth,
      replayed: this.replayedPackets,
      link: this.cluster.transport.linkStats?.(),
    };
  }

  /** host:port of this node's `GET /metrics` server (`metricsPort`), once it listens. */
  metricsAddress(): string | undefined {
    return this.member.metricsAddress();
  }

  /** Resolves once the node is registered and reads its inbox. */
  ready(): Promise<void> {
    return this.member.ready();
  }

  /** Connections held right now. */
  get connectionsCount(): number {
    return this.held.size;
  }

  /** host:port advertised to browsers. */
  address(): string | undefined {
    return advertisedAddress(this.httpServer, this.publicAddress);
  }

  /**
   * Lets an app-node in this process own this io-node's connections. With `fastPath` it is reached
   * by a function call, otherwise through the transport like any other app-node.
   * @internal
   */
  attachLocalApp(appId: string, sink: FrameSink, fastPath: boolean): void {
    this.local = { appId, sink };
    // it serves its own app-node only: nothing to spread
    this.rebalancer?.close();
    this.rebalancer = undefined;
    if (fastPath) this.links.set(appId, new LocalAppLink(appId, this.id, sink));
  }

  /**
   * Adds fields about each client to what its app-node sees (`socket.conn.clientInfo`), asked
   * again before each client packet is relayed and sent only when it changed. Used by the legacy
   * `getClientInfo`; costs nothing when unset.
   *
   * @example
   * ioNode.setClientInfoProvider((connId) => ({ region: "eu" }));
   */
  setClientInfoProvider(provider: ((connId: string) => Record<string, unknown> | undefined) | undefined): void {
    this.clientInfoProvider = provider;
    for (const hc of this.held.values()) hc.sentInfo = undefined;
  }

  /** The transport this node talks through (for layers built on the cluster, like the legacy API). @internal */
  _transport(): Transport {
    return this.cluster.transport;
  }

  /** The engine.io socket of a held connection. */
  clientSocket(connId: string): EioSocket | undefined {
    return this.held.get(connId)?.socket;
  }

  private relay(hc: HeldConnection, link: AppLink, data: Payload): void {
    if (this.clientInfoProvider) {
      const info = this.clientInfoProvider(hc.id);
      const json = info ? JSON.stringify(info) : undefined;
      if (info && json !== hc.sentInfo) {
        hc.sentInfo = json;
        link.clientInfo(hc.id, info);
      }
    }
    link.data(hc.id, data);
  }

  private link(appId: string): AppLink {
    let link = this.links.get(appId);
    if (!link) {
      link = new RemoteAppLink(this.cluster.transport, this.id, appId);
      this.links.set(appId, link);
    }
    return link;
  }

  private onConnection(socket: EioSocket): void {
    const hc = new HeldConnection(socket);
    this.held.set(hc.id, hc);
    debug("connection %s (%s)", hc.id, socket.transport.name);
    (socket as HeldSocket)[HELD] = hc;
    const on = this.socketListeners;
    socket.on("message", on.message);
    socket.on("upgrading", on.upgrading);
    socket.on("upgrade", on.upgrade);
    socket.on("close", on.close);
    this.assignOwner(hc);
  }

  /**
   * The listeners of every held Engine.IO socket, shared by all of them (the socket names its
   * connection): per connection they would cost four closures.
   */
  private readonly socketListeners = ((node: IoNode) => ({
    message(this: HeldSocket, data: Payload): void {
      node.onClientData(this[HELD], data);
    },
    upgrading(this: HeldSocket, transport: { name: string }): void {
      const hc = this[HELD];
      if (hc.owner) node.link(hc.owner).upgrade(hc.id, transport.name, false);
    },
    upgrade(this: HeldSocket): void {
      const hc = this[HELD];
      if (hc.owner) node.link(hc.owner).upgrade(hc.id, this.transport.name, true);
    },
    close(this: HeldSocket, reason: string, description?: unknown): void {
      node.onClientClose(this[HELD], reason, description);
    },
  }))(this);

  private candidates(): NodeRecord[] {
    const apps = this.registry.alive("app");
    if (!this.local) return apps;
    // a co-located io-node serves its own app-node; over the fast path it is alive by definition,
    // through the transport it must first have registered
    const own = apps.filter((a) => a.id === this.local!.appId);
    if (own.length > 0 || !(this.links.get(this.local.appId) instanceof LocalAppLink)) return own;
    return [{ id: this.local.appId } as NodeRecord];
  }

  /**
   * Hands a connection to a live app-node (`preferred` when it is alive), or leaves it pending
   * until one appears.
   */
  private assignOwner(hc: HeldConnection, preferred?: string): void {
    const candidates = this.candidates();
    let owner: string | undefined;
    if (preferred && candidates.some((c) => c.id === preferred)) {
      owner = preferred;
      this.picker.handedTo(owner);
    } else {
      owner = this.picker.pick(candidates);
    }
    if (!owner) {
      hc.state = "pending";
      if (!hc.pendingTimer) {
        hc.pendingTimer = setTimeout(() => {
          warn("no-app-node", `io-node ${this.id}: no app-node alive for ${this.pendingTimeout} ms; closing waiting connections`);
          hc.socket.close();
        }, this.pendingTimeout);
      }
      debug("connection %s waits for an app-node", hc.id);
      return;
    }
    clearTimeout(hc.pendingTimer);
    hc.pendingTimer = undefined;
    hc.owner = owner;
    hc.sentInfo = undefined;
    const link = this.link(owner);
    // the transport may have been upgraded while the connection waited
    const transport = hc.socket.transport.name;
    link.open(hc.id, hc.handshake(transport));
    if (!hc.rehomed) {
      hc.state = "open";
      this.flushHeld(hc);
      return;
    }
    hc.state = "rejoining";
    for (const [nsp, joined] of hc.namespaces) {
      const auth = joined.pid
        ? { ...(isObject(joined.auth) ? joined.auth : {}), pid: joined.pid, offset: joined.offset ?? "" }
        : joined.auth;
      (hc.awaiting ??= new Set()).add(nsp);
      link.data(hc.id, connectPacket(nsp, auth));
    }
    debug("connection %s re-homed to %s, rejoining %d namespace(s)", hc.id, owner, hc.awaiting?.size ?? 0);
    if (!hc.awaiting?.size) {
      hc.state = "open";
      this.flushHeld(hc);
    }
  }

  private flushHeld(hc: HeldConnection): void {
    if (hc.held.length === 0 || hc.waitsForPresence) return;
    const link = this.link(hc.owner!);
    const packets = hc.held.splice(0);
    // after a re-home, packets for namespaces that are not joined anymore would make Socket.IO
    // close the whole connection; binary attachments follow the fate of their header
    let keep = true;
    for (const p of packets) {
      if (typeof p === "string") {
        const type = packetType(p);
        keep = !hc.rehomed || type === SioType.CONNECT || hc.namespaces.has(packetNamespace(p));
      }
      if (keep) this.relay(hc, link, p);
    }
  }

  private onClientData(hc: HeldConnection, data: Payload): void {
    this.messages++;
    this.traffic.packetsIn++;
    this.traffic.bytesIn += data.length;
    if (typeof data === "string") {
      const type = packetType(data);
      if (type === SioType.CONNECT) {
        const nsp = packetNamespace(data);
        const joined: JoinedNamespace = { auth: packetJsonBody(data) };
        const previous = hc.namespaces.get(nsp)?.recovery;
        if (previous) this.windows.discard(hc, previous);
        hc.namespaces.set(nsp, joined);
        joined.recovery = this.windows.open(hc, nsp, joined.auth);
        if (joined.recovery) this.waitForPresence(hc);
      } else if (type === SioType.DISCONNECT) {
        const nsp = packetNamespace(data);
        const joined = hc.namespaces.get(nsp);
        this.rooms.leaveNamespace(hc, nsp);
        hc.namespaces.delete(nsp);
        if (joined?.sid) this.emit("left", { connId: hc.id, nsp, sid: joined.sid });
      }
    }
    if (hc.state !== "open" || hc.waitsForPresence) {
      if (hc.held.length >= this.maxPendingPackets) {
        warn("pending-overflow", `io-node ${this.id}: connection ${hc.id} sent more than ${this.maxPendingPackets} packets while waiting for an app-node; closing it`);
        hc.socket.close();
        return;
      }
      hc.held.push(data);
      return;
    }
    this.relay(hc, this.link(hc.owner!), data);
  }

  private onClientClose(hc: HeldConnection, reason: string, description?: unknown): void {
    this.held.delete(hc.id);
    clearTimeout(hc.pendingTimer);
    this.rooms.removeMember(hc);
    this.discardWindows(hc);
    for (const [nsp, joined] of hc.namespaces) {
      if (joined.sid) this.emit("left", { connId: hc.id, nsp, sid: joined.sid });
    }
    debug("connection %s closed (%s)", hc.id, reason);
    if (hc.owner && !hc.closedByApp) this.link(hc.owner).close(hc.id, reason, closeDescription(description));
  }

  /**
   * Frames from app-nodes, through the inbox or (co-located fast path) by a direct call.
   *
   * When a join makes a named room appear on this io-node, the frames after it wait until the
   * announcement is out: other app-nodes route broadcasts by it, and a client whose join was
   * confirmed (a write after the join) must get every broadcast to the room sent after that, from
   * any app-node, as with one Socket.IO server or the redis-adapter. Rooms named by a socket's id
   * and rooms already present here cost no wait.
   * @internal
   */
  handleFrame(from: string, frame: Frame): void {
    if (this.framesOnHold) {
      this.waitingFrames.push([from, frame]);
      return;
    }
    this.applyFrame(from, frame);
    if (!this.roomAppeared) return;
    this.roomAppeared = false;
    this.framesOnHold = true;
    void this.presence.announceNow(PRESENCE_WAIT_MS).then((published) => {
      if (!published) debug("room presence not confirmed within %d ms; frames go on", PRESENCE_WAIT_MS);
      this.framesOnHold = false;
      while (!this.framesOnHold && this.waitingFrames.length > 0) {
        const [f, next] = this.waitingFrames.shift()!;
        try {
          this.handleFrame(f, next);
        } catch (err) {
          warn("io-frame", `io-node ${this.id}: frame from ${f} failed: ${(err as Error).stack}`);
        }
      }
    });
  }

  private applyFrame(from: string, frame: Frame): void {
    switch (frame.type) {
      case FrameType.WRITE:
        return this.onWrite(from, frame.connId, frame.data, frame.compress, frame.volatile, frame.options);
      case FrameType.DISCONNECT: {
        const hc = this.held.get(frame.connId);
        if (!hc || hc.owner !== from) return;
        hc.closedByApp = true;
        hc.socket.close(frame.discard);
        return;
      }
      case FrameType.ACK:
        this.links.get(from)?.acked(frame.epoch, frame.seq);
        return;
      case FrameType.RELEASED:
        return this.onReleased(from, frame.connId, frame.released);
      case FrameType.ROOMS: {
        const hc = this.held.get(frame.connId);
        // a former owner's late word must not undo what the new owner set up
        if (hc && hc.owner === from) this.rooms.apply(hc, frame.nsp, frame.sid, frame.op, frame.rooms);
        return;
      }
      case FrameType.EPOCH_CHECK:
        return this.onEpochCheck(from, frame.epoch);
      case FrameType.BROADCAST:
        return this.onBroadcast(from, frame.nsp, frame.rooms, frame.except, frame.flags, frame.offset, frame.data);
      default:
        warn("unexpected-frame", `io-node ${this.id} ignores a frame of type ${frame.type} from ${from}`);
    }
  }

  private onBatch(batch: Batch): void {
    for (const frame of batch.frames) {
      try {
        this.handleFrame(batch.from, frame);
      } catch (err) {
        warn("io-frame", `io-node ${this.id}: frame from ${batch.from} failed: ${(err as Error).stack}`);
      }
    }
  }

  private onWrite(from: string, connId: string, data: Payload, compress: boolean, volatile: boolean, options?: object): void {
    const hc = this.held.get(connId);
    if (!hc) return;
    if (hc.owner !== from) {
      this.revoke(from, connId);
      return;
    }
    if (typeof data === "string") {
      const type = packetType(data);
      if (type === SioType.CONNECT || type === SioType.CONNECT_ERROR || type === SioType.DISCONNECT) {
        const joined = hc.namespaces.get(packetNamespace(data));
        const window = joined?.recovery;
        if (window) joined.recovery = undefined;
        const forward = this.onNamespaceReply(hc, type, data);
        if (forward) this.write(hc, data, compress, volatile, options);
        // the broadcasts kept while the session was restored follow the reply
        if (window) this.windows.close(hc, window, data);
        return;
      }
      if ((type === SioType.EVENT || type === SioType.BINARY_EVENT) && hc.namespaces.size > 0) {
        const joined = hc.namespaces.get(packetNamespace(data));
        if (joined?.recovery) this.windows.written(joined.recovery, data);
        else if (joined?.pid) {
          const offset = trailingOffset(data);
          if (offset) joined.offset = offset;
        }
      }
    }
    this.write(hc, data, compress, volatile, options);
  }

  private write(hc: HeldConnection, data: Payload, compress: boolean, volatile: boolean, options?: object): void {
    if (volatile && !keepVolatile(hc, data)) return;
    this.messages++;
    this.countOut(data);
    hc.socket.write(data, options ?? { compress });
  }

  /**
   * Holds the client's packets (its CONNECT first) until the io-node's wish for every broadcast of
   * a namespace it restores a session in is announced (see `recovery-window.ts`).
   */
  private waitForPresence(hc: HeldConnection): void {
    hc.waitsForPresence = true;
    void this.presence.announceNow(PRESENCE_WAIT_MS).then((published) => {
      if (!published) debug("room presence not confirmed within %d ms; connection %s goes on", PRESENCE_WAIT_MS, hc.id);
      hc.waitsForPresence = false;
      if (hc.state === "open" && this.held.get(hc.id) === hc) this.flushHeld(hc);
    });
  }

  private discardWindows(hc: HeldConnection): void {
    for (const joined of hc.namespaces.values()) {
      if (joined.recovery) this.windows.discard(hc, joined.recovery);
      joined.recovery = undefined;
    }
  }

  /** The rooms this io-node announces: those with members, and {@link EVERY_ROOM} where a session is restored. */
  private *presentRooms(): Generator<[string, string]> {
    yield* this.rooms.rooms();
    for (const nsp of this.windows.everyRoomNamespaces()) yield [nsp, EVERY_ROOM];
  }

  /**
   * A broadcast: written to every member of the rooms held here, through Engine.IO (so ordering,
   * long-polling and volatile stay Engine.IO's), with the websocket frame built once for all.
   */
  private onBroadcast(
    from: string,
    nsp: string,
    rooms: string[],
    except: string[],
    flags: number,
    offset: string | undefined,
    data: Payload[],
  ): void {
    const volatile = (flags & BroadcastFlag.VOLATILE) !== 0;
    const local = (flags & BroadcastFlag.LOCAL) !== 0;
    const options: { compress: boolean; wsPreEncodedFrame?: Buffer[] } = { compress: (flags & BroadcastFlag.NO_COMPRESS) === 0 };
    const single = data.length === 1 && typeof data[0] === "string" ? (data[0] as string) : undefined;
    // sockets whose session is being restored get it later, from the window
    const restoring = this.windows.restoring(nsp);
    if (restoring) this.windows.keep(nsp, from, rooms, except, flags, offset, data);
    let written = 0;
    this.rooms.forEachMember(nsp, rooms, except, (member) => {
      const hc = member as HeldConnection;
      if (local && hc.owner !== from) return;
      if (volatile && !hc.socket.transport.writable) return;
      if (offset || restoring) {
        const joined = hc.namespaces.get(nsp);
        if (joined?.recovery) return;
        if (offset && joined?.pid) joined.offset = offset;
      }
      if (single !== undefined && !options.wsPreEncodedFrame && hc.socket.transport.name === "websocket") {
        options.wsPreEncodedFrame = websocketFrame(single);
      }
      for (const d of data) hc.socket.write(d, options);
      written++;
    });
    this.messages += written;
    if (written > 0) {
      let size = 0;
      for (const d of data) size += d.length;
      this.traffic.packetsOut += written * data.length;
      this.traffic.bytesOut += written * size;
    }
  }

  private countOut(data: Payload): void {
    this.traffic.packetsOut++;
    this.traffic.bytesOut += data.length;
  }

  /** Follows the namespaces' CONNECT replies; returns false when the reply must not reach the client. */
  private onNamespaceReply(hc: HeldConnection, type: number, data: string): boolean {
    const nsp = packetNamespace(data);
    const joined = hc.namespaces.get(nsp);
    const wasAwaited = hc.awaiting?.delete(nsp) === true;
    let forward = true;
    if (type === SioType.CONNECT) {
      const body = packetJsonBody(data) as { sid?: string; pid?: string } | undefined;
      // a session that survived the re-home is invisible to the client; a new one is announced
      if (wasAwaited && joined && body?.sid === joined.sid) {
        forward = false;
        this.traffic.recovered++;
      }
      if (joined) {
        joined.sid = body?.sid;
        joined.pid = body?.pid;
      }
      if (body?.sid) this.emit("joined", { connId: hc.id, nsp, sid: body.sid });
    } else {
      this.rooms.leaveNamespace(hc, nsp);
      hc.namespaces.delete(nsp);
      if (joined?.sid) this.emit("left", { connId: hc.id, nsp, sid: joined.sid });
    }
    if (wasAwaited && !hc.awaiting?.size && hc.state === "rejoining") {
      hc.state = "open";
      // the reply goes out before the held packets are released
      if (forward) {
        this.countOut(data);
        hc.socket.write(data);
      }
      this.flushHeld(hc);
      return false;
    }
    return forward;
  }

  /**
   * An app-node that was silent asks whether the batches of `epoch` are still its own. They are
   * while the link that sent them is the current one; then the app-node also gets a fresh timeout,
   * so it is not judged dead, and its batches replayed elsewhere, after it was told to handle them.
   */
  private onEpochCheck(appId: string, epoch: number): void {
    const link = this.links.get(appId);
    const current = link !== undefined && link.epoch === epoch;
    if (current) this.registry.touch(appId);
    debug("app-node %s asks about epoch %d: %s", appId, epoch, current ? "current" : "re-homed");
    (link ?? this.link(appId)).epochStatus(epoch, current);
  }

  private revoke(appId: string, connId: string): void {
    if (!this.registry.isAlive(appId)) return;
    this.link(appId).revoke(connId);
  }

  private onNodeUp(record: NodeRecord): void {
    if (record.role !== "app") return;
    for (const hc of this.held.values()) {
      if (hc.state === "pending") this.assignOwner(hc);
    }
    this.rebalancer?.check();
  }

  /** What each live app-node owns of the connections held here, for the rebalancer. */
  private owners(): Map<string, OwnedConnections> {
    const owners = new Map<string, OwnedConnections>();
    for (const app of this.registry.alive("app")) owners.set(app.id, { count: 0, movable: [] });
    if (owners.size < 2) return owners;
    for (const hc of this.held.values()) {
      const o = owners.get(hc.moveTo ?? hc.owner ?? "");
      if (!o) continue;
      o.count++;
      if (movable(hc)) o.movable.push(hc.id);
    }
    return owners;
  }

  /** A rebalancing move, step 1: the owner is asked to let the connection go; client packets wait. */
  private move(m: Move): void {
    const hc = this.held.get(m.connId);
    if (!hc || hc.owner !== m.from || !movable(hc)) return;
    hc.state = "moving";
    hc.moveTo = m.to;
    debug("moving connection %s from %s to %s", hc.id, m.from, m.to);
    this.link(m.from).release(hc.id);
  }

  /**
   * Step 2: the old owner answered, after its last write for the connection. It now restores on
   * the new owner as after a hand-over (a CONNECT with its session id per namespace), the
   * namespaces' broadcasts kept meanwhile (see `recovery-window.ts`) so none is lost or doubled.
   */
  private onReleased(from: string, connId: string, released: boolean): void {
    const hc = this.held.get(connId);
    if (!hc || hc.owner !== from || hc.state !== "moving") return;
    // `moveTo` stays until the new owner is chosen: meanwhile the rebalancer counts it there
    const to = hc.moveTo!;
    if (!released) {
      hc.moveTo = undefined;
      debug("connection %s stays on %s", connId, from);
      hc.unmovable = true;
      hc.state = "open";
      this.flushHeld(hc);
      return;
    }
    hc.owner = undefined;
    hc.rehomed = true;
    hc.awaiting = undefined;
    for (const [nsp, joined] of hc.namespaces) {
      joined.recovery = this.windows.open(hc, nsp, { pid: joined.pid, offset: joined.offset ?? "" });
    }
    void this.presence.announceNow(PRESENCE_WAIT_MS).then((published) => {
      if (!published) debug("room presence not confirmed within %d ms; connection %s moves on", PRESENCE_WAIT_MS, connId);
      // closed meanwhile, or its new owner is already chosen (an app-node died in between)
      if (this.held.get(connId) !== hc || hc.owner || this.closed) return;
      hc.moveTo = undefined;
      this.assignOwner(hc, to);
      if (!hc.owner) return;
      this.traffic.rehomed++;
      this.emit("moved", { connId, from, to: hc.owner });
    });
  }

  /** The owner of some connections died: hand each to a live app-node, replaying what it lost. */
  private onAppDown(appId: string): void {
    const link = this.links.get(appId);
    if (link instanceof LocalAppLink) return;
    this.links.delete(appId);
    const unacked = link?.takeUnacked() ?? new Map<string, Payload[]>();
    let moved = 0;
    for (const hc of this.held.values()) {
      if (hc.owner !== appId || hc.closedByApp) continue;
      moved++;
      this.traffic.rehomed++;
      hc.owner = undefined;
      hc.moveTo = undefined;
      hc.rehomed = true;
      // the new owner restores nothing of a session the old one had not answered for yet
      this.discardWindows(hc);
      hc.awaiting = undefined;
      const lost = (unacked.get(hc.id) ?? []).filter((p) => packetType(p) !== SioType.CONNECT);
      this.replayedPackets += lost.length;
      hc.held.unshift(...lost);
      this.assignOwner(hc);
    }
    if (moved > 0) warn(`app-down-${appId}`, `io-node ${this.id}: app-node ${appId} is gone; re-homed ${moved} connection(s)`);
  }

  /** Closes every client connection, leaves the cluster and releases the transport it created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.rebalancer?.close();
    // a node that never reached Redis must still close
    await this.member.settled();
    for (const hc of this.held.values()) {
      clearTimeout(hc.pendingTimer);
      // a connection an app-node asked to close may still wait for a poll: end it now, as Engine.IO does
      hc.socket.close(true);
    }
    this.engine.close();
    await this.member.leave();
    if (this.ownsHttpServer) await new Promise<void>((r) => this.httpServer.close(() => r()));
    await this.member.closeTransport();
    debug("io-node %s closed", this.id);
  }
}

/**
 * How long frames may wait for a room's announcement when Redis does not answer. A healthy Redis
 * answers within a millisecond; the bound only matters while Redis is away or the machine is
 * saturated, and a shorter one (200 ms was tried) let confirmed joins miss broadcasts under load.
 */
const PRESENCE_WAIT_MS = 1_000;

const HELD = Symbol("held connection");
type HeldSocket = EioSocket & { [HELD]: HeldConnection };

/** Engine.IO's close description, in a form that crosses the relay (an Error stays an Error). */
function closeDescription(description: unknown): CloseDescription | undefined {
  if (description === undefined || description === null) return undefined;
  if (description instanceof Error) return { message: description.message, error: true };
  return { message: typeof description === "string" ? description : JSON.stringify(description), error: false };
}

/** The websocket frame of an Engine.IO message ("4" + packet), as Engine.IO would build it for each socket. */
function websocketFrame(packet: string): Buffer[] {
  const { Sender } = WebSocket as unknown as { Sender: { frame(data: Buffer, opts: object): Buffer[] } };
  return Sender.frame(Buffer.from("4" + packet), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true });
}

/**
 * Whether a connection may move to another app-node now: open with every namespace confirmed,
 * each with a recoverable session (a private session id), nothing being restored or re-joined.
 */
function movable(hc: HeldConnection): boolean {
  if (hc.state !== "open" || hc.unmovable || hc.closedByApp || hc.waitsForPresence || hc.namespaces.size === 0) return false;
  if (hc.socket.readyState !== "open") return false;
  for (const joined of hc.namespaces.values()) if (!joined.sid || !joined.pid || joined.recovery) return false;
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const CLUSTER_KEYS = new Set([
  "redis",
  "prefix",
  "localFastPath",
  "ownerStrategy",
  "heartbeatInterval",
  "nodeTimeout",
  "requestsTimeout",
  "rebalance",
  "directLinks",
  "link",
  "transport",
  "cluster",
  "metricsPort",
  "metrics",
]);

/** Engine.IO options out of a bag that may also hold cluster and Socket.IO options. */
/** Whether a volatile part goes out: a header while the transport is writable, an attachment as its header. */
function keepVolatile(hc: HeldConnection, data: Payload): boolean {
  const parts = hc.volatileParts;
  if (parts && typeof data !== "string") {
    if (--parts.left === 0) hc.volatileParts = undefined;
    return parts.keep;
  }
  const keep = hc.socket.transport.writable;
  const n = attachmentCount(data);
  hc.volatileParts = n > 0 ? { keep, left: n } : undefined;
  return keep;
}

export function stripClusterOptions<T extends object>(opts: T): Partial<EngineServerOptions> & AttachOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) if (!CLUSTER_KEYS.has(k)) out[k] = v;
  return out as Partial<EngineServerOptions> & AttachOptions;
}

/**
 * Starts a standalone io-node.
 *
 * @example
 * import { createIoNode } from "socket.io-cluster";
 * createIoNode({ port: 8081, redis: "redis://localhost:6379", cors: { origin: "*" } });
 */
export function createIoNode(opts: IoNodeOptions = {}): IoNode {
  return new IoNode(opts);
}
