import { EventEmitter } from "events";
import type { Socket } from "socket.io";

/**
 * A client as the original's app-node saw it: `sessionId`, the fields its io-node's
 * `getClientInfo` adds (kept up to date before each message), `send`, `broadcast`, channels,
 * and the events `message` and `disconnect`. It is a thin face of a Socket.IO socket.
 *
 * @example
 * io.on("connection", (client) => {
 *   client.send({ buffer: buffer });
 *   client.on("message", (text) => client.broadcast({ message: [client.sessionId, text] }));
 *   client.on("disconnect", () => client.broadcast({ announcement: client.sessionId + " disconnected" }));
 * });
 */
export class LegacyClient extends EventEmitter {
  /** The socket id: what the original called the session id. */
  readonly sessionId: string;
  [field: string]: unknown;

  constructor(readonly socket: Socket) {
    super();
    this.sessionId = socket.id;
    const conn = socket.conn as unknown as EventEmitter & { clientInfo?: Record<string, unknown> };
    this.applyInfo(conn.clientInfo);
    conn.on("client-info", (info: Record<string, unknown>) => this.applyInfo(info));
  }

  private applyInfo(info: Record<string, unknown> | undefined): void {
    if (!info) return;
    // io-node fields never hide the client's own methods or identity
    for (const [key, value] of Object.entries(info)) {
      if (key === "sessionId" || key === "socket" || key in LegacyClient.prototype || key in EventEmitter.prototype) continue;
      this[key] = value;
    }
  }

  /**
   * Sends a message to this client (its `message` event).
   *
   * @example
   * client.send({ buffer: [] });
   */
  send(data: unknown): this {
    this.socket.send(data);
    return this;
  }

  /**
   * Sends a message to every client but this one.
   *
   * @example
   * client.broadcast({ announcement: client.sessionId + " connected" });
   */
  broadcast(data: unknown): this {
    this.socket.broadcast.emit("message", data);
    return this;
  }

  /**
   * Sends a message to every client of a channel but this one.
   *
   * @example
   * client.broadcastToChannel("room-1", { message: [client.sessionId, text] });
   */
  broadcastToChannel(channel: string, data: unknown): this {
    this.socket.to(channel).emit("message", data);
    return this;
  }

  /**
   * Adds this client to a channel (a Socket.IO room).
   *
   * @example
   * // puzzleId: a field the io-node's getClientInfo adds
   * client.subscribeToChannel("puzzle-" + client.puzzleId);
   */
  subscribeToChannel(channel: string): this {
    void this.socket.join(channel);
    return this;
  }

  /**
   * Removes this client from a channel.
   *
   * @example
   * client.unsubscribeFromChannel("room-1");
   */
  unsubscribeFromChannel(channel: string): this {
    void this.socket.leave(channel);
    return this;
  }
}
