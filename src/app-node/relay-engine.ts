import { EventEmitter } from "events";
import { debug as makeDebug } from "../log";
import { Handshake } from "../protocol/frame";
import { IoLink } from "./io-link";
import { RelayConnection } from "./relay-connection";

const debug = makeDebug("relay-engine");

/**
 * What a Socket.IO `Server` is bound to on an app-node, in place of an Engine.IO server: it emits
 * `connection` with a {@link RelayConnection} for each client connection this app-node owns,
 * wherever the io-node that holds it runs.
 */
export class RelayEngine extends EventEmitter {
  readonly clients = new Map<string, RelayConnection>();

  /** Connections owned by this app-node. */
  get clientsCount(): number {
    return this.clients.size;
  }

  /** @internal */
  _open(connId: string, handshake: Handshake, link: IoLink): RelayConnection | undefined {
    if (this.clients.has(connId)) return undefined;
    const conn = new RelayConnection(connId, handshake, link, (c) => {
      if (this.clients.get(c.id) === c) this.clients.delete(c.id);
    });
    this.clients.set(connId, conn);
    debug("connection %s from %s%s", connId, link.ioNodeId, conn.rehomed ? " (re-homed)" : "");
    this.emit("connection", conn);
    return conn;
  }

  /** Closes the connections held by an io-node that died, as a lost transport. @internal */
  _dropIoNode(ioNodeId: string): number {
    let n = 0;
    for (const conn of [...this.clients.values()]) {
      if (conn.ioNodeId !== ioNodeId) continue;
      n++;
      conn._onClose("transport close", `io-node ${ioNodeId} is gone`);
    }
    return n;
  }

  /** Closes every connection this app-node owns. */
  close(): this {
    for (const conn of [...this.clients.values()]) conn.close();
    return this;
  }
}
