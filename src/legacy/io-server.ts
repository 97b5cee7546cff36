import { EventEmitter } from "events";
import type { Server as HttpServer } from "http";
import { IoNode } from "../io-node/io-node";
import type { IoNodeOptions } from "../io-node/io-node-options";
import { warn } from "../log";
import { clusterOptionsFrom, LegacyConfig } from "./config";
import { AppMessageBody, decodeMessage, encodeMessage, IoMessageBody, MessageBuilder, TO_APP_NODES, TO_IO_NODES } from "./messages";

/** A client as the original's io-node saw it; custom fields set by the application stay on it. */
export interface LegacyIoClient {
  sessionId: string;
  /** The Engine.IO connection id. */
  connId: string;
  [field: string]: unknown;
}

/**
 * The original's `ioNode.Server`: events `app <type>` (every message app-nodes send),
 * `socket connection` (client), `socket message` (client, data) and `socket disconnect` (client),
 * and `createMessage(client, data)` for custom messages to app-nodes.
 *
 * @example
 * const server = cluster.makeIoServer(httpServer, config);
 * server.on("socket connection", (client) => console.log(client.sessionId, "connected"));
 * server.on("app publish", (message) => console.log(message.recipients, message.data));
 */
export class LegacyIoServer extends EventEmitter {
  /** Clients connected to this io-node's main namespace, by session id. */
  readonly clients: Record<string, LegacyIoClient> = {};
  private readonly byConn = new Map<string, LegacyIoClient>();
  private readonly ready: Promise<unknown>;

  constructor(readonly node: IoNode) {
    super();
    node.on("joined", ({ connId, nsp, sid }: { connId: string; nsp: string; sid: string }) => {
      if (nsp !== "/") return;
      const client: LegacyIoClient = this.byConn.get(connId) ?? { sessionId: sid, connId };
      client.sessionId = sid;
      this.clients[sid] = client;
      if (!this.byConn.has(connId)) {
        this.byConn.set(connId, client);
        this.watchMessages(client);
        this.emit("socket connection", client);
      }
    });
    node.on("left", ({ connId, nsp, sid }: { connId: string; nsp: string; sid: string }) => {
      if (nsp !== "/") return;
      const client = this.byConn.get(connId);
      if (!client) return;
      this.byConn.delete(connId);
      delete this.clients[sid];
      this.emit("socket disconnect", client);
    });
    this.ready = node._transport().subscribe(TO_IO_NODES, (payload) => {
      const message = decodeMessage<AppMessageBody>(payload);
      if (!message) return warn("legacy-garbage", "legacy io-node: ignoring a malformed app-node message");
      this.emit(`app ${message.type}`, message);
    });
  }

  /**
   * The client of an Engine.IO connection, if it joined the main namespace.
   *
   * @example
   * const client = server.clientOfConnection(connId); // connId: the Engine.IO id (client.connId)
   * if (client) client.userId = 7;
   */
  clientOfConnection(connId: string): LegacyIoClient | undefined {
    return this.byConn.get(connId);
  }

  /** `socket message` needs to read the client's packets: done only while someone listens. */
  private watchMessages(client: LegacyIoClient): void {
    const socket = this.node.clientSocket(client.connId);
    socket?.on("message", (packet: unknown) => {
      if (this.listenerCount("socket message") === 0 || typeof packet !== "string" || !packet.startsWith("2[")) return;
      try {
        const [event, data] = JSON.parse(packet.slice(1)) as [unknown, unknown];
        if (event === "message") this.emit("socket message", client, data);
      } catch {
        // a malformed packet is Socket.IO's to reject on the app-node
      }
    });
  }

  /**
   * Starts a custom message to app-nodes.
   *
   * @example
   * ioNode.server.createMessage(client, { userId: 7 }).setType("login").send();
   */
  createMessage(client: LegacyIoClient | undefined, data?: unknown): IoMessage {
    return new IoMessage(this, client, data);
  }

  /**
   * Resolves once this io-node has joined the cluster and hears app-nodes' messages.
   *
   * @example
   * const ioNode = cluster.makeIoListener(httpServer, config);
   * await ioNode.server.whenReady();
   */
  whenReady(): Promise<void> {
    return Promise.all([this.ready, this.node.ready()]).then(() => undefined);
  }

  /** @internal */
  deliver(body: IoMessageBody): void {
    void this.node
      ._transport()
      .publish(TO_APP_NODES, encodeMessage(body))
      .catch((err: Error) => warn("legacy-publish", `legacy io-node: could not reach app-nodes: ${err.message}`));
  }
}

/**
 * The original's `ioNode.Message`: `setClient`, `setData`, `setType`, `send`. The type is
 * `message` unless set; app-nodes emit the message under its type (`makeAppServer`'s events).
 *
 * @example
 * ioNode.server.createMessage(client, { puzzleId: 3 }).setType("join-puzzle").send();
 * app.on("join-puzzle", (message) => console.log(message.client.sessionId, message.data.puzzleId));
 */
export class IoMessage extends MessageBuilder {
  constructor(
    private readonly server: LegacyIoServer,
    private client?: LegacyIoClient,
    data?: unknown,
  ) {
    super("message", data);
  }

  /**
   * Sets the client the message is about: the app-node that owns its socket handles it.
   *
   * @example
   * const ping = ioNode.server.createMessage(undefined).setType("ping");
   * for (const client of Object.values(ioNode.socketIo.clients)) ping.setClient(client).send();
   */
  setClient(client: LegacyIoClient): this {
    this.client = client;
    return this;
  }

  /**
   * Sends the message to app-nodes: the owner of its client's socket handles it; with no client,
   * every app-node does. The builder can be sent again.
   *
   * @example
   * ioNode.server.createMessage(undefined, { reload: true }).setType("config").send(); // every app-node
   */
  send(): this {
    const client = this.client ? { ...this.client, sessionId: this.client.sessionId } : undefined;
    if (client) delete (client as Partial<LegacyIoClient>).connId;
    this.server.deliver({ type: this.type, client, data: this.data });
    return this;
  }
}

/**
 * What the original's `makeIoListener` returned: the io-node with its customisation points.
 * Override `getClientInfo(client)` to add fields to what app-nodes see of every client.
 *
 * @example
 * const ioNode = cluster.makeIoListener(httpServer, config);
 * ioNode.server.on("socket disconnect", (client) => console.log(client.sessionId, "left"));
 * console.log(Object.keys(ioNode.socketIo.clients).length, "clients here");
 */
export class IoListener {
  /** The original's `socketIo.clients`: this io-node's clients by session id. */
  readonly socketIo: { clients: Record<string, LegacyIoClient> };

  constructor(readonly server: LegacyIoServer) {
    this.socketIo = { clients: server.clients };
    server.node.setClientInfoProvider((connId) => {
      if (this.getClientInfo === IoListener.prototype.getClientInfo) return undefined;
      const client = server.clientOfConnection(connId);
      return client ? this.getClientInfo(client) : undefined;
    });
  }

  /**
   * The fields app-nodes see of a client, asked before each of its messages is relayed.
   *
   * @example
   * ioNode.getClientInfo = (client) => ({ sessionId: client.sessionId, userId: client.userId });
   */
  getClientInfo(client: LegacyIoClient): Record<string, unknown> {
    return { sessionId: client.sessionId };
  }

  /**
   * Closes this io-node's client connections and leaves the cluster; the HTTP server stays the
   * caller's to close.
   *
   * @example
   * await ioNode.close();
   * httpServer.close();
   */
  close(): Promise<void> {
    return this.server.node.close();
  }
}

function ioNodeOptions(httpServer: HttpServer, config: LegacyConfig, extra: Partial<IoNodeOptions>): IoNodeOptions {
  return { ...clusterOptionsFrom(config), ...extra, httpServer };
}

/**
 * Creates an io-node on an HTTP server and returns the original's `ioNode.Server`.
 *
 * @example
 * const server = cluster.makeIoServer(httpServer, config);
 * server.on("app publish", (message) => console.log(message.data));
 */
export function makeIoServer(httpServer: HttpServer, config: LegacyConfig = {}, options: Partial<IoNodeOptions> = {}): LegacyIoServer {
  return new LegacyIoServer(new IoNode(ioNodeOptions(httpServer, config, options)));
}

/**
 * Creates an io-node on an HTTP server with the original's event handling, and returns its
 * listener (`server`, `socketIo.clients`, overridable `getClientInfo`).
 *
 * @example
 * const ioNode = cluster.makeIoListener(httpServer, config);
 * ioNode.server.on("app setUserId", (m) => { ioNode.socketIo.clients[m.recipients[0].id].userId = m.data.userId; });
 */
export function makeIoListener(httpServer: HttpServer, config: LegacyConfig = {}, options: Partial<IoNodeOptions> = {}): IoListener {
  return new IoListener(makeIoServer(httpServer, config, options));
}
