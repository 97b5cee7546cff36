import { EventEmitter } from "events";
import { CloseDescription, Handshake, Payload, RoomOp } from "../protocol/frame";
import { IoLink, LocalIoLink } from "./io-link";
import { describePacket, tracePacketApp } from "../protocol/packet-trace";

/** Shared by every connection an io-node adds nothing about (replaced, never changed in place). */
const NO_CLIENT_INFO: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

/**
 * What Socket.IO reads of `conn.request` to build `socket.handshake`, and what an application may
 * read there. One per connection, so what is rarely read (the raw header lines) stays compact.
 */
export class RelayedRequest {
  readonly method: string;
  readonly httpVersion?: string;
  readonly headers: Handshake["headers"];
  readonly url: string;
  /**
   * engine.io's parsed query, which socket.io reads for `socket.handshake.query` (see
   * `requestQuery` in src/socketio-shim.ts); applications read `socket.handshake.query`. @internal
   */
  readonly _query: Record<string, string>;
  readonly connection: { encrypted: boolean; remoteAddress: string };
  /** The raw header lines, or the one string they crossed the relay as, until they are read. */
  private lines?: string[] | string;

  constructor(handshake: Handshake) {
    this.lines = handshake.rawHeaders ?? handshake.rawHeadersText;
    this.method = handshake.method ?? "GET";
    this.httpVersion = handshake.httpVersion;
    this.headers = handshake.headers;
    this.url = handshake.url;
    this._query = handshake.query;
    this.connection = { encrypted: handshake.secure, remoteAddress: handshake.remoteAddress };
  }

  /** Node's name for the same thing. */
  get socket(): { encrypted: boolean; remoteAddress: string } {
    return this.connection;
  }

  get rawHeaders(): string[] | undefined {
    if (typeof this.lines === "string") this.lines = this.lines === "" ? [] : this.lines.split("\n");
    return this.lines;
  }
}

/**
 * An app-node's stand-in for an Engine.IO connection held by an io-node. It offers what Socket.IO's
 * `Client` uses of an Engine.IO socket (id, request, remoteAddress, protocol, readyState,
 * transport, write, close and the data/close/upgrade events), so the real Socket.IO code runs on it.
 * On a clustered server it is what `socket.conn` is.
 *
 * @example
 * io.on("connection", (socket) => {
 *   console.log(socket.conn.id, socket.conn.transport.name, "held by", socket.conn.ioNodeId);
 * });
 */
export class RelayConnection extends EventEmitter {
  readonly request: RelayedRequest;
  readonly remoteAddress: string;
  readonly protocol: number;
  readyState: "open" | "closing" | "closed" = "open";
  readonly transport: { name: string; writable: boolean };
  /** True when this app-node took the connection over from an app-node that died. */
  readonly rehomed: boolean;
  /** Fields the io-node adds about this client (the legacy `getClientInfo`); updated before the data they go with. */
  clientInfo: Record<string, unknown> = NO_CLIENT_INFO;

  /** Made by the {@link RelayEngine} when an io-node opens a connection to this app-node. @internal */
  constructor(
    private readonly engine: {
      _mustWait(): boolean;
      _enqueue(write: () => void): void;
      _forget(conn: RelayConnection): void;
      _receiving?: RelayConnection;
    },
    readonly id: string,
    handshake: Handshake,
    private link: IoLink,
  ) {
    super();
    this.request = new RelayedRequest(handshake);
    this.remoteAddress = handshake.remoteAddress;
    this.protocol = handshake.protocol;
    // whether a volatile packet can go out is decided by the io-node, which knows
    this.transport = { name: handshake.transport, writable: true };
    this.rehomed = handshake.rehomed === true;
  }

  /**
   * The io-node that holds the client connection.
   *
   * @example
   * // TypeScript types socket.conn as Engine.IO's socket
   * socket.data.ioNode = (socket.conn as unknown as RelayConnection).ioNodeId;
   */
  get ioNodeId(): string {
    return this.link.ioNodeId;
  }

  /**
   * Sends an Engine.IO message to the client.
   *
   * @example
   * conn.write("2[\"hello\"]");
   */
  write(data: Payload, opts: { compress?: boolean; volatile?: boolean } = {}): this {
    if (this.readyState !== "open") return this;
    if (tracePacketApp.enabled) {
      tracePacketApp("write %s %s → %s%s", this.id, describePacket(data), this.link.ioNodeId, this.link instanceof LocalIoLink ? " (in process)" : "");
    }
    // Engine.IO's packet events, built only for whoever listens
    if (this.listenerCount("packetCreate") > 0) this.emit("packetCreate", { type: "message", data, options: opts });
    const compress = opts.compress !== false;
    const volatile = opts.volatile === true;
    // the hot path allocates nothing: only a write behind a pending recovery broadcast is queued
    if (this.engine._mustWait()) this.engine._enqueue(() => this.link.write(this.id, data, compress, volatile, opts));
    else this.link.write(this.id, data, compress, volatile, opts);
    return this;
  }

  /**
   * Tells the io-node that a socket of this connection changed rooms, in order with the writes.
   * @internal
   */
  _rooms(nsp: string, sid: string, op: RoomOp, rooms: string[]): void {
    if (this.readyState !== "open") return;
    if (this.engine._mustWait()) this.engine._enqueue(() => this.link.rooms(this.id, nsp, sid, op, rooms));
    else this.link.rooms(this.id, nsp, sid, op, rooms);
  }

  /**
   * Alias of {@link write}, as on Engine.IO sockets.
   *
   * @example
   * conn.send("2[\"hello\"]", { compress: false });
   */
  send(data: Payload, opts?: { compress?: boolean; volatile?: boolean }): this {
    return this.write(data, opts);
  }

  /**
   * Closes the client connection on its io-node; with `discard`, at once, dropping what is not
   * sent yet (as Engine.IO's server does when it shuts down).
   *
   * @example
   * socket.on("kick-me", () => socket.conn.close()); // every socket of the connection disconnects
   */
  close(discard = false): this {
    if (this.readyState !== "open") return this;
    this.readyState = "closed";
    if (this.engine._mustWait()) this.engine._enqueue(() => this.link.disconnect(this.id, discard));
    else this.link.disconnect(this.id, discard);
    this.engine._forget(this);
    // synchronous, as Engine.IO closes a connection with nothing left to write
    this.emit("close", "forced close");
    return this;
  }

  /** @internal */
  _onData(data: Payload): void {
    if (this.readyState !== "open") return;
    if (tracePacketApp.enabled) tracePacketApp("in %s %s from %s", this.id, describePacket(data), this.link.ioNodeId);
    if (this.listenerCount("packet") > 0) this.emit("packet", { type: "message", data });
    // Socket.IO handles a packet synchronously up to the adapter (a CONNECT up to restoreSession)
    const previous = this.engine._receiving;
    this.engine._receiving = this;
    try {
      this.emit("data", data);
      this.emit("message", data);
    } finally {
      this.engine._receiving = previous;
    }
  }

  /** @internal */
  _onClientInfo(info: Record<string, unknown>): void {
    this.clientInfo = info;
    this.emit("client-info", info);
  }

  /** @internal */
  _onUpgrade(transport: string, done: boolean): void {
    if (!done) {
      this.emit("upgrading", { name: transport, writable: false });
      return;
    }
    this.transport.name = transport;
    this.emit("upgrade", this.transport);
  }

  /** @internal */
  _onClose(reason: string, description?: CloseDescription): void {
    if (this.readyState === "closed") return;
    this.readyState = "closed";
    this.engine._forget(this);
    const detail = description ? (description.error ? new Error(description.message) : description.message) : undefined;
    this.emit("close", reason, detail);
  }
}
