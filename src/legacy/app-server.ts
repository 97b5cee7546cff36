import { EventEmitter } from "events";
import type { Socket } from "socket.io";
import { Server } from "../app-node/server";
import { warn } from "../log";
import { engineConnectionOf } from "../socketio-shim";
import { clusterOptionsFrom, LegacyConfig } from "./config";
import { AppMessageBody, decodeMessage, encodeMessage, IoMessageBody, MessageBuilder, Recipient, RecipientType, TO_APP_NODES, TO_IO_NODES } from "./messages";

/**
 * The original's lower-level app-node: events per message type (`connection`, `message`,
 * `disconnect`, and custom types sent by io-nodes), each with `{ type, client: { sessionId, ... },
 * data }`, and `createMessage()` to answer.
 *
 * @example
 * const app = cluster.makeAppServer(config);
 * app.on("message", (m) => app.createMessage(m.data).forAll().exceptClient(m.client.sessionId).send());
 */
export class AppServer extends EventEmitter {
  private readonly ready: Promise<unknown>;

  constructor(readonly io: Server) {
    super();
    io.on("connection", (socket) => this.onSocket(socket));
    this.ready = io
      ._transport()
      .subscribe(TO_APP_NODES, (payload) => this.onIoMessage(payload));
  }

  private clientOf(socket: Socket): IoMessageBody["client"] {
    const info = engineConnectionOf(socket).clientInfo ?? {};
    return { ...info, sessionId: socket.id };
  }

  private onSocket(socket: Socket): void {
    this.emit("connection", { type: "connection", client: this.clientOf(socket), data: undefined });
    socket.on("message", (data: unknown) => this.emit("message", { type: "message", client: this.clientOf(socket), data }));
    socket.on("disconnect", (reason) => this.emit("disconnect", { type: "disconnect", client: this.clientOf(socket), data: reason }));
  }

  /** A custom message from an io-node: handled by the app-node that owns its client, or by all when it names none. */
  private onIoMessage(payload: Buffer): void {
    const message = decodeMessage<IoMessageBody>(payload);
    if (!message) {
      warn("legacy-garbage", "legacy app server: ignoring a malformed io-node message");
      return;
    }
    const sid = message.client?.sessionId;
    if (sid && !this.io.of("/").sockets.has(sid)) return;
    this.emit(message.type, message);
  }

  /**
   * Starts a message to clients, channels or io-nodes.
   *
   * @example
   * app.createMessage({ text: "hi" }).forChannel("room-1").send();
   */
  createMessage(data?: unknown): AppMessage {
    return new AppMessage(this, data);
  }

  /**
   * Resolves once this app-node has joined the cluster and hears io-nodes' custom messages.
   *
   * @example
   * const app = cluster.makeAppServer(config);
   * await app.whenReady();
   */
  whenReady(): Promise<void> {
    return Promise.all([this.ready, this.io.ready()]).then(() => undefined);
  }

  /** @internal */
  deliver(body: AppMessageBody): void {
    const clients = body.recipients.filter((r) => r.type === "client" && r.id).map((r) => r.id!);
    const toAll = body.recipients.some((r) => r.type === "all");
    const rooms = toAll ? [] : body.recipients.filter((r) => r.id).map((r) => r.id!);
    switch (body.type) {
      case "publish":
        if (toAll || rooms.length > 0) this.io.to(rooms).except(body.exceptions).emit("message", body.data);
        break;
      case "subscribe-to-channel":
        if (clients.length > 0) this.io.in(clients).except(body.exceptions).socketsJoin(channelName(body.data));
        break;
      case "unsubscribe-from-channel":
        if (clients.length > 0) this.io.in(clients).except(body.exceptions).socketsLeave(channelName(body.data));
        break;
    }
    // every io-node hears every app message, as in the original ("app <type>" events)
    void this.io._transport().publish(TO_IO_NODES, encodeMessage(body)).catch((err: Error) => {
      warn("legacy-publish", `legacy app server: could not reach io-nodes: ${err.message}`);
    });
  }

  /**
   * Leaves the cluster and closes this app-node's connections.
   *
   * @example
   * await app.close();
   */
  close(): Promise<void> {
    return this.io.close();
  }
}

function channelName(data: unknown): string {
  if (typeof data === "string") return data;
  const channel = (data as { channel?: unknown } | null)?.channel;
  if (typeof channel === "string") return channel;
  throw new TypeError("subscribe/unsubscribe messages take the channel name as data (or { channel })");
}

/**
 * The original's message builder: `setType`, `setData`, `addRecipient(type, id)`, `forClient`,
 * `forChannel`, `forAll`, `exceptClient`, `send`. The type is `publish` unless set; `publish`
 * reaches clients as their `message` event, `subscribe-to-channel`/`unsubscribe-from-channel`
 * change channels, and any type reaches io-nodes as `app <type>`.
 *
 * @example
 * app.createMessage({ text: "hi" }).forChannel("room-1").exceptClient(sessionId).send();
 * // a custom type reaches io-nodes only, as "app setUserId"
 * app.createMessage({ userId: 42 }).setType("setUserId").forClient(sessionId).send();
 */
export class AppMessage extends MessageBuilder {
  private readonly recipients: Recipient[] = [];
  private readonly exceptions: string[] = [];

  constructor(
    private readonly server: AppServer,
    data?: unknown,
  ) {
    super("publish", data);
  }

  /**
   * Adds a recipient; `forClient`, `forChannel` and `forAll` are its shortcuts.
   *
   * @example
   * app.createMessage("hi").addRecipient("client", sessionId).addRecipient("channel", "room-1").send();
   *
   * @param type - `client` (id: a session id), `channel` (id: the channel) or `all` (no id)
   */
  addRecipient(type: RecipientType, id?: string): this {
    this.recipients.push(type === "all" ? { type } : { type, id });
    return this;
  }

  /**
   * Adds a client, by session id, to the recipients.
   *
   * @example
   * app.createMessage({ buffer: buffer }).forClient(message.client.sessionId).send();
   */
  forClient(sessionId: string): this {
    return this.addRecipient("client", sessionId);
  }

  /**
   * Adds every client subscribed to a channel to the recipients.
   *
   * @example
   * app.createMessage({ announcement: "round 2" }).forChannel("room-1").send();
   */
  forChannel(channel: string): this {
    return this.addRecipient("channel", channel);
  }

  /**
   * Makes every client of the cluster a recipient.
   *
   * @example
   * app.createMessage({ announcement: "maintenance at noon" }).forAll().send();
   */
  forAll(): this {
    return this.addRecipient("all");
  }

  /**
   * Leaves a client, by session id, out of the recipients.
   *
   * @example
   * app.createMessage(message.data).forAll().exceptClient(message.client.sessionId).send();
   */
  exceptClient(sessionId: string): this {
    this.exceptions.push(sessionId);
    return this;
  }

  /**
   * Sends the message; what it carries is copied, so the builder can be reused.
   *
   * @example
   * const tick = app.createMessage({ tick: 1 }).forAll();
   * tick.send();
   * tick.setData({ tick: 2 }).send();
   */
  send(): this {
    this.server.deliver({ type: this.type, recipients: [...this.recipients], exceptions: [...this.exceptions], data: this.data });
    return this;
  }
}

/**
 * Creates an app-node with the original's lower-level interface.
 *
 * @example
 * const app = require("socket.io-cluster").makeAppServer({ REDIS_HOST: "127.0.0.1" });
 */
export function makeAppServer(config: LegacyConfig = {}): AppServer {
  return new AppServer(new Server({ cluster: clusterOptionsFrom(config) }));
}
