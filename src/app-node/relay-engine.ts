import { EventEmitter } from "events";
import type { Server as EngineServer } from "engine.io";
import { clearTimeout, setTimeout } from "../clock";
import { debug as makeDebug, warn } from "../log";
import { Handshake } from "../protocol/frame";
import { IoLink } from "./io-link";
import { RelayConnection } from "./relay-connection";

const debug = makeDebug("relay-engine");

const ENGINE_EVENTS = new Set<string | symbol>(["headers", "initial_headers", "connection_error"]);

/**
 * What a Socket.IO `Server` is bound to on an app-node, in place of an Engine.IO server: it emits
 * `connection` with a {@link RelayConnection} for each client connection this app-node owns,
 * wherever the io-node that holds it runs. On a clustered server `io.engine` is this engine
 * (alone, `io.engine` is Engine.IO's own server, as in plain Socket.IO).
 *
 * @example
 * const io = new Server(httpServer, { cluster: { redis: "redis://localhost:6379" } });
 * io.engine.on("connection", (conn) => conn.on("upgrade", (t) => console.log(conn.id, "now on", t.name)));
 */
export class RelayEngine extends EventEmitter {
  readonly clients = new Map<string, RelayConnection>();
  /**
   * The Engine.IO options of this server, with Engine.IO's defaults, as on a plain Socket.IO
   * server's engine (the io-nodes apply them; with `attach(srv, opts)`, merged as socket.io does).
   */
  opts: Record<string, unknown> = {};
  /**
   * The connection whose packet Socket.IO is handling right now (it handles one synchronously,
   * up to the adapter): the adapter learns which connection a recovery claim came on. @internal
   */
  _receiving?: RelayConnection;
  private localEngine?: EngineServer;

  /** The Engine.IO server of a co-located io-node, which receives engine-level hooks. @internal */
  _setLocalEngine(engine: EngineServer): void {
    this.localEngine = engine;
  }

  /**
   * Adds an Engine.IO middleware. HTTP requests are served by io-nodes, so it applies to the
   * co-located io-node of this server; standalone io-nodes take theirs in `createIoNode`.
   *
   * @example
   * io.engine.use((req, res, next) => { res.setHeader("x-node", "1"); next(); });
   */
  use(middleware: Parameters<EngineServer["use"]>[0]): this {
    if (this.localEngine) this.localEngine.use(middleware);
    else warn("engine-use", "io.engine.use(): this app-node has no co-located io-node; the middleware is not applied");
    return this;
  }

  /**
   * Adds a listener. The engine-level events (`headers`, `initial_headers`, `connection_error`)
   * come from the co-located io-node; those of standalone io-nodes happen there.
   *
   * @example
   * io.engine.on("connection_error", (err) => console.log(err.code, err.message));
   * io.engine.on("headers", (headers) => { headers["x-served-by"] = "eu-1"; });
   */
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    if (ENGINE_EVENTS.has(event)) this.localEngine?.on(event as string, listener);
    return super.on(event, listener);
  }

  /**
   * Same as {@link on}.
   *
   * @example
   * io.engine.addListener("initial_headers", (headers) => { headers["set-cookie"] = "region=eu"; });
   */
  override addListener(event: string | symbol, listener: (...args: any[]) => void): this {
    return this.on(event, listener);
  }

  /**
   * Adds a listener called once, as {@link on} (engine-level events included).
   *
   * @example
   * io.engine.once("connection", (conn) => console.log("first connection", conn.id));
   */
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    if (ENGINE_EVENTS.has(event)) this.localEngine?.once(event as string, listener);
    return super.once(event, listener);
  }

  /**
   * Removes a listener added with {@link on} or {@link once}.
   *
   * @example
   * const onError = (err) => console.log(err.message);
   * io.engine.on("connection_error", onError);
   * io.engine.off("connection_error", onError);
   */
  override off(event: string | symbol, listener: (...args: any[]) => void): this {
    if (ENGINE_EVENTS.has(event)) this.localEngine?.off(event as string, listener);
    return super.off(event, listener);
  }

  /**
   * Same as {@link off}.
   *
   * @example
   * io.engine.removeListener("connection_error", onError);
   */
  override removeListener(event: string | symbol, listener: (...args: any[]) => void): this {
    return this.off(event, listener);
  }

  /**
   * Writes of this app-node in the order the application made them. Empty (and unused) unless a
   * write must wait: with connection state recovery a broadcast waits for its log offset, and what
   * the application sends after it (acks, other packets, closes) must not overtake it.
   */
  private readonly outbox: Array<{ run?: () => void }> = [];
  private draining = false;
  /** Callers of {@link _written} waiting for the outbox to empty. */
  private emptied: Array<() => void> = [];

  /**
   * Reserves the current place in the write order; the returned function fills it, and what was
   * queued behind it goes out. @internal
   */
  _reserve(): (run: () => void) => void {
    const slot: { run?: () => void } = {};
    this.outbox.push(slot);
    return (run) => {
      slot.run = run;
      this.drain();
    };
  }

  /** Whether a write made now must wait behind a reserved place (see {@link _reserve}). @internal */
  _mustWait(): boolean {
    return this.outbox.length > 0 && !this.draining;
  }

  /** Queues a write behind the reserved places; only when {@link _mustWait}. @internal */
  _enqueue(write: () => void): void {
    this.outbox.push({ run: write });
  }

  /**
   * Resolves once every reserved place is filled and what waited behind it went out, or after
   * `timeoutMs` (a log append that never answers must not hold a leaving node forever). @internal
   */
  _written(timeoutMs: number): Promise<void> {
    if (this.outbox.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        warn("leave-writes", `app-node writes still waiting for their broadcast's log offset after ${timeoutMs} ms; leaving without them`);
        resolve();
      }, timeoutMs);
      this.emptied.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.outbox.length > 0 && this.outbox[0].run) this.outbox.shift()!.run!();
    } finally {
      this.draining = false;
    }
    if (this.outbox.length === 0 && this.emptied.length > 0) for (const done of this.emptied.splice(0)) done();
  }

  /**
   * Connections owned by this app-node, whichever io-nodes hold them.
   *
   * @example
   * console.log(io.engine.clientsCount, "connections on this app-node");
   */
  get clientsCount(): number {
    return this.clients.size;
  }

  /** @internal */
  _open(connId: string, handshake: Handshake, link: IoLink): RelayConnection | undefined {
    if (this.clients.has(connId)) return undefined;
    const conn = new RelayConnection(this, connId, handshake, link);
    this.clients.set(connId, conn);
    debug("connection %s from %s%s", connId, link.ioNodeId, conn.rehomed ? " (re-homed)" : "");
    this.emit("connection", conn);
    return conn;
  }

  /** A connection closed: it is not this engine's any more. @internal */
  _forget(conn: RelayConnection): void {
    if (this.clients.get(conn.id) === conn) this.clients.delete(conn.id);
  }

  /**
   * Closes the connections held by an io-node that died (or that re-homed them), as a lost
   * transport. @internal
   */
  _dropIoNode(ioNodeId: string, why = `io-node ${ioNodeId} is gone`): number {
    let n = 0;
    for (const conn of [...this.clients.values()]) {
      if (conn.ioNodeId !== ioNodeId) continue;
      n++;
      conn._onClose("transport close", { message: why, error: false });
    }
    return n;
  }

  /**
   * Closes every connection this app-node owns, at once, as Engine.IO's server does.
   *
   * @example
   * io.engine.close();
   */
  close(): this {
    for (const conn of [...this.clients.values()]) conn.close(true);
    return this;
  }
}
