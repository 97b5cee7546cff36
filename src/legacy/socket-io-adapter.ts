import { EventEmitter } from "events";
import type { Socket } from "socket.io";
import { Server } from "../app-node/server";
import { clusterOptionsFrom, LegacyConfig } from "./config";
import { LegacyClient } from "./legacy-client";

/**
 * The original's app-node listener, with the interface of a Socket.IO 0.6 listener. Events:
 * `connection` (client), `clientConnect` (client), `clientMessage` (message, client),
 * `clientDisconnect` (client), and `no-client` (client): this app-node took over a client it
 * did not see connect (its app-node died or was redeployed); it fires before the client's next
 * message, so handlers attached then receive that message.
 *
 * @example
 * const io = cluster.makeListener(config);
 * io.on("connection", (client) => client.on("message", (m) => client.broadcast(m)));
 */
export class SocketIoAdapter extends EventEmitter {
  /** The clients this app-node serves, by session id. */
  readonly clients: Record<string, LegacyClient> = {};

  constructor(readonly io: Server) {
    super();
    io.on("connection", (socket) => this.onSocket(socket));
  }

  private onSocket(socket: Socket): void {
    const client = new LegacyClient(socket);
    this.clients[client.sessionId] = client;
    socket.on("message", (message: unknown) => {
      client.emit("message", message);
      this.emit("clientMessage", message, client);
    });
    socket.on("disconnect", (reason) => {
      delete this.clients[client.sessionId];
      client.emit("disconnect", reason);
      this.emit("clientDisconnect", client);
    });
    if ((socket.conn as unknown as { rehomed?: boolean }).rehomed) {
      this.emit("no-client", client);
      return;
    }
    this.emit("connection", client);
    this.emit("clientConnect", client);
  }

  /**
   * Sends a message to every client of the cluster, but those in `except` (a session id or a list).
   *
   * @example
   * io.broadcast({ announcement: "maintenance at noon" });
   * io.broadcast({ message: [client.sessionId, text] }, client.sessionId); // all but the sender
   *
   * @param data - what the clients receive as their `message` event
   * @param except - a session id, or a list of them
   */
  broadcast(data: unknown, except?: string | string[]): this {
    this.io.except(toList(except)).emit("message", data);
    return this;
  }

  /**
   * Same as {@link broadcast}: every client of the cluster but those in `except`.
   *
   * @example
   * io.broadcastExcept({ announcement: client.sessionId + " is typing" }, [client.sessionId]);
   */
  broadcastExcept(data: unknown, except?: string | string[]): this {
    return this.broadcast(data, except);
  }

  /**
   * Sends a message to the given clients only, wherever they are connected.
   *
   * @example
   * io.broadcastOnly({ alert: "you were mentioned" }, [aliceSessionId, bobSessionId]);
   *
   * @param sessionIds - a session id, or a list of them
   */
  broadcastOnly(data: unknown, sessionIds: string | string[]): this {
    const ids = toList(sessionIds);
    if (ids.length > 0) this.io.to(ids).emit("message", data);
    return this;
  }

  /**
   * Sends a message to every client subscribed to `channel`, but those in `except`.
   *
   * @example
   * io.broadcastToChannel("room-1", { announcement: "the game starts" });
   * io.broadcastToChannel("room-1", { message: [client.sessionId, text] }, client.sessionId);
   *
   * @param except - a session id, or a list of them
   */
  broadcastToChannel(channel: string, data: unknown, except?: string | string[]): this {
    this.io.to(channel).except(toList(except)).emit("message", data);
    return this;
  }

  /**
   * Leaves the cluster and closes this app-node's connections.
   *
   * @example
   * await io.close();
   */
  close(): Promise<void> {
    return this.io.close();
  }
}

function toList(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Creates an app-node and returns its 0.6-style listener.
 *
 * @example
 * const io = require("socket.io-cluster").makeListener({ REDIS_HOST: "127.0.0.1", REDIS_PORT: 6379 });
 */
export function makeListener(config: LegacyConfig = {}): SocketIoAdapter {
  return new SocketIoAdapter(new Server({ cluster: clusterOptionsFrom(config) }));
}
