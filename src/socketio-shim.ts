/**
 * The one place where socket.io-cluster reaches into the private parts of socket.io,
 * socket.io-adapter, engine.io and ws. Each function names the version and file it was written
 * against (socket.io 4.8.3, socket.io-adapter 2.5.6, engine.io 6.6.6, ws 8.23.0); the test
 * `test/socketio-shim.test.ts` runs each one against the installed packages and fails, naming
 * the function to update, when an upgrade moves what it relies on.
 *
 * Everything else in src/ uses these packages' public, typed API only. Not part of the published API.
 */
import type { EventEmitter } from "events";
import type { Server as HttpServer } from "http";
import type { Socket as EioSocket } from "engine.io";
import WebSocket from "ws";
import { Namespace, Server as SocketIOServer, ServerOptions as SocketIOServerOptions, Socket } from "socket.io";
import type { Adapter, BroadcastOptions, ClusterAdapterWithHeartbeat } from "socket.io-adapter";
import { SocketIoClusterError } from "./errors";

// ---- socket.io: Server ----------------------------------------------------------------------

/**
 * The options the server was constructed with (`cluster` included), the very object socket.io
 * keeps: socket.io 4.8 lib/index.ts, `private opts` behind the `_opts` getter.
 */
export function serverOptions(io: SocketIOServer): Partial<SocketIOServerOptions> & { cluster?: unknown } {
  return io._opts as Partial<SocketIOServerOptions> & { cluster?: unknown };
}

/**
 * The server's namespaces by name, the same map socket.io adds to on `io.of()`: socket.io 4.8
 * lib/index.ts, `_nsps` (public in the typings, `@private` in the docs).
 */
export function namespacesOf(io: SocketIOServer): Map<string, Namespace> {
  return io._nsps as Map<string, Namespace>;
}

/**
 * Serves the Socket.IO client bundle on an HTTP server, as socket.io's own attach() does when
 * `serveClient` is on: socket.io 4.8 lib/index.ts, `private attachServe(srv)`.
 */
export function attachClientServe(io: SocketIOServer, httpServer: HttpServer): void {
  (io as unknown as { attachServe(srv: HttpServer): void }).attachServe(httpServer);
}

// ---- socket.io: Namespace -------------------------------------------------------------------

/**
 * Emits a server-side event on this server's namespace only (what an adapter does when another
 * server sent one): socket.io 4.8 lib/namespace.ts, `_onServerSideEmit(args)`.
 */
export function serverSideEmitHere(nsp: Namespace, args: [string, ...unknown[]]): void {
  nsp._onServerSideEmit(args);
}

// ---- socket.io: Socket ----------------------------------------------------------------------

/**
 * The socket's private session id (connection state recovery), undefined without recovery:
 * socket.io 4.8 lib/socket.ts, `private readonly pid`.
 */
export function privateSessionId(socket: unknown): string | undefined {
  const pid = (socket as { pid?: unknown } | undefined)?.pid;
  return typeof pid === "string" ? pid : undefined;
}

/** What a cluster connection adds to the engine connection socket.io holds (see `RelayConnection`). */
export interface ClusterConnectionFields {
  /** True when this app-node took the connection over from an app-node that died. */
  readonly rehomed?: boolean;
  /** Fields the io-node adds about this client (the legacy `getClientInfo`). */
  readonly clientInfo?: Record<string, unknown>;
}

/**
 * The connection object the engine emitted with "connection" for this socket, typed as what it is
 * on an app-node: socket.io 4.8 lib/client.ts keeps the engine's object as `conn` and lib/socket.ts
 * hands it on as `socket.conn`, typed as an engine.io Socket.
 */
export function engineConnectionOf(socket: Socket): EventEmitter & ClusterConnectionFields {
  return socket.conn as unknown as EventEmitter & ClusterConnectionFields;
}

/** What an adapter may implement to hear that one of its sockets got an outgoing listener. */
export interface OutgoingListenerAware {
  _outgoingListenerAdded?(): void;
}

const PATCHED = Symbol.for("socket.io-cluster.outgoing-listeners");

/**
 * Broadcasts are written by io-nodes, so an app-node notifies `onAnyOutgoing` listeners of its
 * sockets itself, but only in namespaces where a socket has one: the adapter must hear when the
 * first is added. Patched once per process, whichever copy of this module loads first.
 * Relies on socket.io 4.8 lib/socket.ts: `onAnyOutgoing` and `prependAnyOutgoing` on the
 * prototype, and `private readonly adapter` (the namespace's adapter) on each socket.
 */
export function watchOutgoingListeners(): void {
  const proto = Socket.prototype as unknown as Record<string | symbol, unknown>;
  if (proto[PATCHED]) return;
  for (const name of ["onAnyOutgoing", "prependAnyOutgoing"] as const) {
    if (typeof proto[name] !== "function") {
      throw new SocketIoClusterError(`socket.io's Socket has no ${name}() any more; this version of socket.io is not supported`);
    }
  }
  proto[PATCHED] = true;
  for (const name of ["onAnyOutgoing", "prependAnyOutgoing"] as const) {
    const original = proto[name] as (...a: unknown[]) => unknown;
    proto[name] = function (this: { adapter?: OutgoingListenerAware }, ...args: unknown[]) {
      this.adapter?._outgoingListenerAdded?.();
      return original.apply(this, args);
    };
  }
}

/**
 * Notifies a socket's outgoing listeners of a packet it is sent: socket.io 4.8 lib/socket.ts,
 * `private notifyOutgoingListeners(packet)` (what socket.io calls before each write).
 */
export function notifyOutgoing(socket: unknown, packet: unknown): void {
  (socket as { notifyOutgoingListeners?(p: unknown): void }).notifyOutgoingListeners?.(packet);
}

// ---- socket.io-adapter ----------------------------------------------------------------------

/**
 * Calls `fn` with each local socket a broadcast with these options reaches (rooms, except):
 * socket.io-adapter 2.5 lib/in-memory-adapter.ts, `private apply(opts, callback)`.
 */
export function forEachTarget(adapter: Adapter, opts: BroadcastOptions, fn: (socket: Socket) => void): void {
  (adapter as unknown as { apply(o: BroadcastOptions, f: (s: Socket) => void): void }).apply(opts, fn);
}

/**
 * Encodes a packet with the server's parser, as the adapter does for its own broadcasts:
 * socket.io-adapter 2.5 lib/in-memory-adapter.ts, `private readonly encoder` (the server's).
 */
export function encodePacket(adapter: Adapter, packet: unknown): Array<string | Buffer> {
  return (adapter as unknown as { encoder: { encode(p: unknown): Array<string | Buffer> } }).encoder.encode(packet);
}

/**
 * Appends a recovery log offset to a broadcast packet when it is one recovery keeps (an event,
 * no ack, not volatile), as the cluster adapter does: socket.io-adapter 2.5
 * lib/cluster-adapter.ts, `private addOffsetIfNecessary(packet, opts, offset)`.
 */
export function addRecoveryOffset(adapter: ClusterAdapterWithHeartbeat, packet: unknown, opts: BroadcastOptions, offset: string): void {
  (adapter as unknown as { addOffsetIfNecessary(p: unknown, o: BroadcastOptions, off: string): void }).addOffsetIfNecessary(packet, opts, offset);
}

/**
 * When each other server of the namespace was last heard from (uid -> ms timestamp):
 * socket.io-adapter 2.5 lib/cluster-adapter.ts, `ClusterAdapterWithHeartbeat#nodesMap`.
 */
export function peersLastSeen(adapter: ClusterAdapterWithHeartbeat): Map<string, number> {
  return (adapter as unknown as { nodesMap: Map<string, number> }).nodesMap;
}

// ---- engine.io ------------------------------------------------------------------------------

/**
 * The handshake request's query, parsed by engine.io (socket.io reads the same field for
 * `socket.handshake.query`): engine.io 6.6 lib/server.ts `prepare()` sets `req._query`, and
 * socket.io 4.8 lib/socket.ts `buildHandshake()` reads it (so the relay's stand-in request offers it).
 */
export function requestQuery(req: EioSocket["request"]): Record<string, string> {
  return (req as { _query?: Record<string, string> })._query ?? {};
}

/** The engine.io session id of a connection: engine.io 6.6 lib/socket.ts, `readonly id` (private in the typings). */
export function engineSocketId(socket: EioSocket): string {
  return (socket as unknown as { id: string }).id;
}

/**
 * The websocket frame of an Engine.IO message ("4" + packet), built once for many sockets and
 * passed to `socket.write(data, { wsPreEncodedFrame })`, as socket.io-adapter's broadcast does:
 * engine.io 6.6 lib/transports/websocket.ts sends that frame as is (with `perMessageDeflate` off
 * or the packet not compressed); ws 8 lib/sender.js builds it (`Sender.frame`, not in ws's typings).
 */
export function websocketFrame(packet: string): Buffer[] {
  const { Sender } = WebSocket as unknown as { Sender: { frame(data: Buffer, opts: object): Buffer[] } };
  return Sender.frame(Buffer.from("4" + packet), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true });
}
