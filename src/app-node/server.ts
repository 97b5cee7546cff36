import { EventEmitter } from "events";
import { createServer, Server as HttpServer } from "http";
import { Server as EngineServer } from "engine.io";
import type { Server as HTTPSServer } from "https";
import type { Http2SecureServer, Http2Server } from "http2";
import { Server as SocketIOServer, ServerOptions as SocketIOServerOptions, DefaultEventsMap } from "socket.io";
import type { EventsMap } from "socket.io/dist/typed-events";
import { debug as makeDebug } from "../log";
import { ClusterOptions, newNodeId, resolveClusterOptions, ResolvedClusterOptions } from "../options";
import type { Transport } from "../transport/transport";
import { IoNode } from "../io-node/io-node";
import { stripClusterOptions } from "../io-node/io-node-options";
import { AppNode } from "./app-node";
import { createRelayAdapter } from "./cluster-adapter";
import { ConnectionRelease } from "./connection-release";
import { EmitterBridge } from "./emitter-bridge";
import { attachClientServe, namespacesOf, serverOptions } from "../socketio-shim";
import { SocketIoClusterError } from "../errors";

const debug = makeDebug("server");

/**
 * The options an Engine.IO server given these would hold (its defaults filled in), for
 * `io.engine.opts` on an app-node, whose connections are held by io-nodes. The throw-away server
 * opens no handle (its WebSocket server is `noServer`).
 */
function engineDefaults(opts: Partial<ServerOptions>): Record<string, unknown> {
  const { cluster: _cluster, ...rest } = opts as Record<string, unknown>;
  return new EngineServer(rest).opts as unknown as Record<string, unknown>;
}

type TServerInstance = HttpServer | HTTPSServer | Http2SecureServer | Http2Server;

/**
 * Socket.IO's server options, plus `cluster`.
 *
 * @example
 * const io = new Server(httpServer, {
 *   cors: { origin: "https://example.com" },
 *   connectionStateRecovery: {},
 *   cluster: { redis: "redis://localhost:6379", prefix: "chat" },
 * });
 */
export interface ServerOptions extends SocketIOServerOptions {
  /**
   * How this server joins a cluster; without `redis` (nor its environment fallback, nor a shared
   * `transport`) it runs alone, as plain Socket.IO.
   * @default {} (each key's environment fallback, then its default)
   *
   * @example
   * new Server(3000, { cluster: { redis: "redis://localhost:6379", ownerStrategy: "least-loaded" } });
   */
  cluster: ClusterOptions;
}

interface ClusterRuntime {
  options: ResolvedClusterOptions;
  /** Absent when embedded: Socket.IO then runs on its own Engine.IO server, as plain Socket.IO. */
  appNode?: AppNode;
  ioNode?: IoNode;
  /** The node ids `io.cluster` reports (an embedded server has no nodes, but keeps stable ids). */
  appNodeId: string;
  ioNodeId?: string;
  /** Hears `@socket.io/redis-emitter` under the cluster prefix (with our adapter on Redis). */
  emitter?: EmitterBridge;
  emitterStarted?: Promise<void>;
  /** Set by close(): a later attach()/listen() joins the cluster again as a new node, as plain Socket.IO listens again. */
  closed?: boolean;
}

/**
 * A drop-in replacement for Socket.IO's `Server`. The application code is Socket.IO's own; the
 * server is an app-node bound to a relay engine, and when given an HTTP server (or a port) it also
 * hosts an io-node there. Without a cluster (no `cluster.redis`, no env, no shared transport) it is
 * plain Socket.IO on its own Engine.IO server: `io.engine` is that server, with its `opts`.
 *
 * @example
 * const { Server } = require("socket.io-cluster");
 * const io = new Server(httpServer, { cluster: { redis: "redis://localhost:6379" } });
 * io.on("connection", (socket) => socket.emit("hello"));
 */
export class Server<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  SocketData = any,
> extends SocketIOServer<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  // declared, not initialised: Socket.IO's constructor calls attach() before this class's fields exist
  declare private runtime?: ClusterRuntime;

  constructor(opts?: Partial<ServerOptions>);
  constructor(srv?: TServerInstance | number, opts?: Partial<ServerOptions>);
  constructor(srv: undefined | Partial<ServerOptions> | TServerInstance | number, opts?: Partial<ServerOptions>);
  constructor(srv?: undefined | Partial<ServerOptions> | TServerInstance | number, opts: Partial<ServerOptions> = {}) {
    super(srv as TServerInstance, opts);
    this.ensureRuntime();
  }

  /**
   * The cluster this server belongs to: node ids, whether Redis is in use, and the duplicate
   * counters: `duplicateBatches`, relay batches this app-node dropped as received already, and
   * `replayedPackets`, client packets the co-located io-node replayed to a new owner after an
   * app-node died (each one possibly handled twice).
   *
   * @example
   * console.log(io.cluster.appNodeId, io.cluster.replayedPackets);
   */
  get cluster(): {
    appNodeId: string;
    ioNodeId?: string;
    clustered: boolean;
    prefix: string;
    duplicateBatches: number;
    replayedPackets: number;
    /** host:port of the `GET /metrics` server (`cluster.metricsPort`), once it listens. */
    metricsAddress?: string;
  } {
    const rt = this.ensureRuntime();
    return {
      appNodeId: rt.appNodeId,
      ioNodeId: rt.ioNodeId,
      clustered: rt.options.clustered,
      prefix: rt.options.prefix,
      duplicateBatches: rt.appNode?.duplicateBatches ?? 0,
      replayedPackets: rt.ioNode?.replayedPackets ?? 0,
      metricsAddress: rt.options.metrics?.address(),
    };
  }

  /** The transport this node talks through (for layers built on the cluster, like the legacy API). @internal */
  _transport(): Transport {
    return this.ensureRuntime().options.transport;
  }

  /**
   * Resolves when this node has joined its cluster (registered and reading its inbox); rejects
   * with a `RedisRefusedError` when Redis refuses this node's user.
   *
   * @example
   * const io = new Server(3000, { cluster: { redis: "redis://localhost:6379" } });
   * await io.ready();
   */
  async ready(): Promise<void> {
    const rt = this.ensureRuntime();
    await Promise.all([rt.appNode?.ready(), rt.ioNode?.ready(), rt.emitterStarted]);
  }

  private ensureRuntime(): ClusterRuntime {
    if (this.runtime) return this.runtime;
    const opts = serverOptions(this) as Partial<ServerOptions>;
    const options = resolveClusterOptions(opts.cluster);
    if (!options.clustered) {
      // alone, nothing needs relaying: Socket.IO's own attach() creates the real Engine.IO server,
      // so every engine behaviour (options, volatile, compression, HTTP answers) is plain Socket.IO's
      this.runtime = { options, appNodeId: newNodeId("app") };
      debug("embedded: plain Socket.IO on Engine.IO");
      return this.runtime;
    }
    const appNode = new AppNode(options);
    appNode.releaser = new ConnectionRelease(this);
    this.runtime = { options, appNode, appNodeId: appNode.id };
    appNode.engine.opts = engineDefaults({ ...opts, path: opts.path || this.path() });
    // between app-nodes, Socket.IO's cluster adapter over our transport, unless the app chose one
    if (options.clustered && !opts.adapter) {
      this.adapter(createRelayAdapter(options.transport, options, appNode, appNode.registry) as never);
      // with another adapter (the redis-adapter itself) the emitter is that adapter's business
      const emitter = new EmitterBridge(options.transport, () => namespacesOf(this));
      this.runtime.emitter = emitter;
      this.runtime.emitterStarted = emitter.start().catch((err: Error) => debug("emitter bridge not started: %s", err.message));
    }
    this.bind(appNode.engine);
    debug("app-node %s (%s transport)", appNode.id, options.transport.kind);
    return this.runtime;
  }

  /**
   * Attaches to an HTTP server (or creates one on a port) and hosts a co-located io-node there.
   *
   * @example
   * io.attach(httpServer);
   * io.attach(3000);
   */
  override attach(srv: TServerInstance | number, opts: Partial<ServerOptions> = {}): this {
    if (typeof srv === "function") {
      throw new Error("You are trying to attach socket.io to an express request handler function. Please pass a http.Server instance.");
    }
    if (Number(srv) == (srv as unknown as number)) srv = Number(srv);
    let rt = this.ensureRuntime();
    if (rt.closed && rt.appNode) {
      this.runtime = undefined;
      rt = this.ensureRuntime();
    }
    if (!rt.appNode) {
      super.attach(srv, opts);
      rt.ioNodeId ??= newNodeId("io");
      return this;
    }
    if (rt.ioNode) throw new SocketIoClusterError("this server is already attached to an HTTP server");
    let httpServer: HttpServer;
    if (typeof srv === "number") {
      debug("creating http server and binding to %d", srv);
      httpServer = createServer((_req, res) => {
        res.writeHead(404);
        res.end();
      });
      httpServer.listen(srv);
    } else {
      httpServer = srv as HttpServer;
    }
    Object.assign(opts, serverOptions(this));
    opts.path = opts.path || this.path();
    const engineOptions = stripClusterOptions(opts);
    // the io-node shares this server's transport; the app-node closes it
    const ioNode = new IoNode(
      { ...engineOptions, httpServer, serveClient: false },
      { ...rt.options, ownsTransport: false },
    );
    ioNode.attachLocalApp(rt.appNode.id, rt.appNode, rt.options.localFastPath);
    rt.appNode.engine._setLocalEngine(ioNode.engine);
    if (rt.options.localFastPath) rt.appNode.attachLocalIoNode(ioNode.id, ioNode);
    rt.ioNode = ioNode;
    rt.ioNodeId = ioNode.id;
    // what `io.engine.opts` shows: the merged options, as socket.io's attach() gives its engine
    rt.appNode.engine.opts = engineDefaults(opts);
    if (this.serveClient()) attachClientServe(this, httpServer);
    this.httpServer = httpServer;
    return this;
  }

  /**
   * Same as {@link attach}.
   *
   * @example
   * io.listen(3000);
   */
  override listen(srv: TServerInstance | number, opts: Partial<ServerOptions> = {}): this {
    return this.attach(srv, opts);
  }

  /**
   * Leaves the cluster at once without closing any connection: the io-nodes hand the connections
   * this app-node owns to the other app-nodes (restoring their sessions with
   * `connectionStateRecovery`), and what it had sent no receipt for is replayed there. Broadcasts
   * still waiting for their recovery-log offset go out first (for at most `requestsTimeout`, when
   * Redis does not answer). Use it to stop
   * an app-node for a deploy; the process should exit afterwards. Connections held by a co-located
   * io-node end with the process.
   *
   * @example
   * process.on("SIGTERM", () => io.handOver().then(() => process.exit(0)));
   */
  async handOver(): Promise<void> {
    const rt = this.ensureRuntime();
    if (!rt.appNode) {
      // alone there is no other app-node to take the connections: stopping closes them
      await this.close();
      return;
    }
    for (const nsp of namespacesOf(this).values()) (nsp.adapter as { snapshotNow?(): void }).snapshotNow?.();
    await rt.appNode.leave();
    await rt.ioNode?.close();
  }

  /**
   * Not supported: socket.io-cluster's io-nodes run on Node.js HTTP servers, not uWebSockets.js,
   * so this throws.
   *
   * @example
   * io.attachApp(uwsApp); // throws: attach to a Node.js HTTP server instead
   * io.attach(httpServer);
   */
  override attachApp(): void {
    throw new SocketIoClusterError("attachApp (uWebSockets.js) is not supported; attach to a Node.js HTTP server");
  }

  /**
   * Closes every socket, the co-located io-node, the HTTP server, and this node's cluster
   * membership and Redis connections.
   *
   * @example
   * await io.close();
   */
  override async close(fn?: (err?: Error) => void): Promise<void> {
    const rt = this.runtime;
    let error: Error | undefined;
    // an embedded server never attached has no engine; plain Socket.IO would throw on it
    if (!this.engine) this.bind(new EventEmitter() as never);
    if (!(this.engine as { close?: unknown }).close) (this.engine as unknown as { close(): void }).close = () => undefined;
    await super.close((err) => (error = err));
    if (rt) {
      await rt.ioNode?.close();
      await rt.emitter?.close();
      await rt.appNode?.close();
      if (!rt.appNode && rt.options.ownsTransport) await rt.options.transport.close();
      rt.closed = true;
    }
    fn?.(error);
  }
}
