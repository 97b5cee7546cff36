import { EventEmitter } from "events";
import { createServer, Server as HttpServer } from "http";
import { Server as EngineServer, Socket as EioSocket } from "engine.io";
import { ClusterMember, MemberSample } from "../cluster/cluster-member";
import type { NodeRecord, NodeRegistry } from "../cluster/node-registry";
import { debug as makeDebug, warn } from "../log";
import { resolveClusterOptions, ResolvedClusterOptions } from "../options";
import type { Transport } from "../transport/transport";
import { Batch, Frame, FrameType } from "../protocol/frame";
import { AppLink, FrameSink, RemoteAppLink } from "./app-link";
import type { HeldConnection } from "./held-connection";
import { RoomIndex } from "./room-index";
import { PresenceAnnouncer } from "./presence-announcer";
import { RecoveryWindows } from "./recovery-window";
import { EVERY_ROOM } from "../protocol/presence";
import { serveClientBundle } from "../http/socket-io-client";
import { advertisedAddress, listen } from "../http/listen";
import { clearTimeout } from "../clock";
import { IoNodeOptions, stripClusterOptions } from "./io-node-options";
import { IO_NODE_DEFAULTS } from "../defaults";
import { IoCounters, IoNodeShared, PRESENCE_WAIT_MS } from "./io-node-shared";
import { ClientIntake } from "./client-intake";
import { Ownership } from "./ownership";
import { ClientWrites } from "./client-writes";

const debug = makeDebug("io-node");

/**
 * An io-node: it holds client connections with the real Engine.IO server and relays each
 * connection's packets to the app-node that owns it.
 *
 * Its parts: the client intake (`client-intake.ts`: connections in, client packets to the owner),
 * the ownership (`ownership.ts`: owner choice, re-homing, rebalancing moves) and the client writes
 * (`client-writes.ts`: app-nodes' packets and broadcasts to the clients). This file builds them,
 * dispatches the app-nodes' frames to them, and starts and closes the node.
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
  /** The connections held here, by Engine.IO socket id. */
  private readonly connections = new Map<string, HeldConnection>();
  /** One link per app-node, for everything (REVOKE frames included): one sequence per pair. */
  private readonly links = new Map<string, AppLink>();
  /** Which held connections are in which rooms, so broadcasts fan out here. */
  private readonly rooms: RoomIndex;
  private readonly presence: PresenceAnnouncer;
  /** Sessions being restored, and the broadcasts kept for them meanwhile. */
  private readonly windows: RecoveryWindows<HeldConnection>;
  private readonly counters: IoCounters = {
    messages: 0,
    replayed: 0,
    traffic: { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, rehomed: 0, recovered: 0 },
  };
  private readonly intake: ClientIntake;
  private readonly ownership: Ownership;
  private readonly writes: ClientWrites;
  /** Set while a ROOMS frame is applied when a named room appears here (see {@link handleFrame}). */
  private roomAppeared = false;
  /** Frames from app-nodes that wait until a new room's announcement is out. */
  private readonly waitingFrames: Array<[string, Frame]> = [];
  private framesOnHold = false;
  private readonly ownsHttpServer: boolean;
  private readonly publicAddress?: string;
  private closed = false;

  constructor(opts: IoNodeOptions = {}, resolved?: ResolvedClusterOptions) {
    super();
    this.cluster = resolved ?? resolveClusterOptions(opts);
    this.member = new ClusterMember(this.cluster, {
      role: "io",
      label: "io-node",
      record: () => ({
        address: this.address(),
        connections: this.connections.size,
        messages: this.counters.messages,
        roomSeq: this.presence.seq,
        replayed: this.counters.replayed,
      }),
      sample: () => this.metricsSample(),
      onBatch: (batch) => this.onBatch(batch),
      parts: () => [this.presence],
    });
    this.id = this.member.id;
    this.registry = this.member.registry;
    const maxPendingPackets = opts.maxPendingPackets ?? IO_NODE_DEFAULTS.maxPendingPackets;
    this.publicAddress = opts.publicAddress;
    this.presence = new PresenceAnnouncer(
      this.cluster.transport,
      this.id,
      () => this.presentRooms(),
      () => this.registry.alive("app").map((r) => r.id),
    );
    this.registry.on("down", (r: NodeRecord) => r.role === "app" && this.presence.forget(r.id));
    this.windows = new RecoveryWindows<HeldConnection>(
      (nsp, present) => this.presence.changed(nsp, EVERY_ROOM, present),
      {
        write: (hc, data, options, volatile) => this.writes.writeKept(hc, data, options, volatile),
        overflow: (hc) => {
          warn("recovery-overflow", `io-node ${this.id}: more than ${maxPendingPackets} broadcasts while connection ${hc.id} restored its session; closing it`);
          hc.socket.close();
        },
      },
      maxPendingPackets,
    );
    this.rooms = new RoomIndex((nsp, room, present, own) => {
      this.presence.changed(nsp, room, present);
      if (present && !own) this.roomAppeared = true;
    });
    const shared: IoNodeShared = {
      id: this.id,
      connections: this.connections,
      links: this.links,
      link: (appId) => this.link(appId),
      registry: this.registry,
      rooms: this.rooms,
      presence: this.presence,
      windows: this.windows,
      counters: this.counters,
      emit: (event, payload) => this.emit(event, payload),
      closed: () => this.closed,
    };
    this.intake = new ClientIntake(shared, (hc) => this.ownership.assignOwner(hc), maxPendingPackets);
    this.ownership = new Ownership(shared, this.intake, this.cluster, opts.pendingTimeout ?? IO_NODE_DEFAULTS.pendingTimeout);
    this.writes = new ClientWrites(shared, this.intake);

    const { httpServer, port, host, serveClient, publicAddress, maxPendingPackets: _max, pendingTimeout, ...rest } = opts;
    const engineOpts = stripClusterOptions(rest);
    engineOpts.path = (engineOpts.path ?? IO_NODE_DEFAULTS.path).replace(/\/$/, "") + "/";
    this.ownsHttpServer = !httpServer;
    this.httpServer =
      httpServer ??
      createServer((_req, res) => {
        res.writeHead(404);
        res.end();
      });
    this.engine = new EngineServer(engineOpts);
    this.engine.attach(this.httpServer, engineOpts);
    if ((serveClient ?? IO_NODE_DEFAULTS.serveClient) !== false) serveClientBundle(this.httpServer, engineOpts.path, engineOpts.cors);
    const listening = port === undefined ? Promise.resolve() : listen(this.httpServer, port, host);
    this.engine.on("connection", (socket: EioSocket) => this.intake.onConnection(socket));
    this.member.start(listening);
  }

  /** What the metrics read of this node when scraped (see `metrics/metrics.ts`). */
  private metricsSample(): MemberSample {
    let queueDepth = 0;
    for (const link of this.links.values()) queueDepth += link.unreceiptedBatches;
    return {
      connections: this.connections.size,
      ...this.counters.traffic,
      queueDepth,
      replayed: this.counters.replayed,
      link: this.cluster.transport.linkStats?.(),
    };
  }

  /**
   * Client packets replayed to a connection's new owner after its app-node died without
   * sending a receipt for them. The dead node may have handled some: each is a possible duplicate, so
   * watch it where a handler must not run twice.
   *
   * @example
   * setInterval(() => console.log("possibly handled twice:", ioNode.replayedPackets), 60_000);
   */
  get replayedPackets(): number {
    return this.counters.replayed;
  }

  /**
   * Where Prometheus scrapes this node: host:port of its `GET /metrics` server once it listens
   * (by `ready()`); undefined without `metricsPort`.
   *
   * @example
   * const ioNode = createIoNode({ port: 8081, redis: "redis://localhost:6379", metricsPort: 9100 });
   * await ioNode.ready();
   * console.log(`scrape http://${ioNode.metricsAddress()}/metrics`);
   */
  metricsAddress(): string | undefined {
    return this.member.metricsAddress();
  }

  /**
   * Resolves once the node listens (with `port`), is registered and reads its inbox: from then on
   * app-nodes and frontends see it. Rejects when the port cannot be bound, or with a
   * `RedisRefusedError` when Redis refuses this node's user.
   *
   * @example
   * const ioNode = createIoNode({ port: 8081, redis: "redis://localhost:6379" });
   * await ioNode.ready();
   * console.log("io-node listening on", ioNode.address());
   */
  ready(): Promise<void> {
    return this.member.ready();
  }

  /**
   * Client connections this io-node holds right now, whichever app-node owns them: its load, as
   * the registry and frontends report it.
   *
   * @example
   * setInterval(() => console.log(ioNode.id, ioNode.connectionsCount, "connections"), 10_000);
   */
  get connectionsCount(): number {
    return this.connections.size;
  }

  /**
   * host:port that frontends list for browsers to connect to: `publicAddress`, or the address the
   * server is bound to; undefined before it listens.
   *
   * @example
   * await ioNode.ready();
   * const socket = io(`http://${ioNode.address()}`);
   */
  address(): string | undefined {
    return advertisedAddress(this.httpServer, this.publicAddress);
  }

  /**
   * Lets an app-node in this process own this io-node's connections. With `fastPath` it is reached
   * by a function call, otherwise through the transport like any other app-node.
   * @internal
   */
  attachLocalApp(appId: string, sink: FrameSink, fastPath: boolean): void {
    this.ownership.attachLocalApp(appId, sink, fastPath);
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
    this.intake.setClientInfoProvider(provider);
  }

  /** The transport this node talks through (for layers built on the cluster, like the legacy API). @internal */
  _transport(): Transport {
    return this.cluster.transport;
  }

  /** The engine.io socket of a held connection (for the legacy API). @internal */
  clientSocket(connId: string): EioSocket | undefined {
    return this.connections.get(connId)?.socket;
  }

  private link(appId: string): AppLink {
    let link = this.links.get(appId);
    if (!link) this.links.set(appId, (link = new RemoteAppLink(this.cluster.transport, this.id, appId)));
    return link;
  }

  /**
   * Frames from app-nodes, through the inbox or (co-located fast path) by a direct call.
   *
   * When a join makes a named room appear on this io-node, the frames after it wait until the
   * announcement is applied by every app-node (see `presence-announcer.ts`): they route broadcasts by it, and a client whose join was
   * confirmed (a write after the join) must get every broadcast to the room sent after that, from
   * any app-node, as with one Socket.IO server or the redis-adapter. Rooms named by a socket's id
   * and rooms already present here cost no wait.
   * @internal
   */
  handleFrame(from: string, frame: Frame): void {
    if (this.framesOnHold) {
      // what the hold waits for must not wait behind it
      if (frame.type === FrameType.PRESENCE_SEEN) this.presence.seen(from, frame.seq);
      else this.waitingFrames.push([from, frame]);
      return;
    }
    this.applyFrame(from, frame);
    if (!this.roomAppeared) return;
    this.roomAppeared = false;
    this.framesOnHold = true;
    void this.presence.announceNow(PRESENCE_WAIT_MS, from).then((published) => {
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
        return this.writes.onWrite(from, frame.connId, frame.data, frame.compress, frame.volatile, frame.options);
      case FrameType.DISCONNECT:
        return this.writes.onDisconnect(from, frame.connId, frame.discard);
      case FrameType.RECEIPT:
        this.links.get(from)?.receipt(frame.epoch, frame.seq);
        return;
      case FrameType.RELEASED:
        return this.ownership.onReleased(from, frame.connId, frame.released);
      case FrameType.ROOMS: {
        const hc = this.connections.get(frame.connId);
        // a former owner's late word must not undo what the new owner set up
        if (hc && hc.owner === from) this.rooms.apply(hc, frame.nsp, frame.sid, frame.op, frame.rooms);
        return;
      }
      case FrameType.EPOCH_CHECK:
        return this.ownership.onEpochCheck(from, frame.epoch);
      case FrameType.PRESENCE_SEEN:
        return this.presence.seen(from, frame.seq);
      case FrameType.BROADCAST:
        return this.writes.onBroadcast(from, frame.nsp, frame.rooms, frame.except, frame.flags, frame.offset, frame.data);
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

  /** The rooms this io-node announces: those with members, and {@link EVERY_ROOM} where a session is restored. */
  private *presentRooms(): Generator<[string, string]> {
    yield* this.rooms.rooms();
    for (const nsp of this.windows.everyRoomNamespaces()) yield [nsp, EVERY_ROOM];
  }

  /**
   * Closes every client connection, leaves the cluster (app-nodes see it go at once), closes the
   * HTTP server it created for `port` and the transport it created. Idempotent. Clients of the
   * frontend's helper (`/socket.io-cluster.js`) reconnect to another live io-node.
   *
   * @example
   * process.on("SIGTERM", () => ioNode.close().then(() => process.exit(0)));
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.ownership.close();
    // a node that never reached Redis must still close
    await this.member.settled();
    for (const hc of this.connections.values()) {
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
 * Starts a standalone io-node.
 *
 * @example
 * import { createIoNode } from "socket.io-cluster";
 * createIoNode({ port: 8081, redis: "redis://localhost:6379", cors: { origin: "*" } });
 */
export function createIoNode(opts: IoNodeOptions = {}): IoNode {
  return new IoNode(opts);
}
