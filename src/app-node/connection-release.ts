import type { Server as SocketIOServer } from "socket.io";
import { setImmediate } from "../clock";
import { debug as makeDebug, warn } from "../log";
import { namespacesOf, serverOptions } from "../socketio-shim";
import type { RelayConnection } from "./relay-connection";

const debug = makeDebug("release");

/**
 * The app-node's side of a connection moving to another app-node (load rebalancing, asked by the
 * io-node with a RELEASE frame). The connection leaves this app-node as after a lost transport:
 * Socket.IO persists each socket's session (id, rooms, data) as it does for a recoverable
 * disconnect, the same sessions `handOver()` leaves behind, and once they are stored the io-node
 * may give the connection to the new owner, which restores them (`socket.recovered`). The client
 * keeps its connection and socket ids and sees nothing; on this app-node the sockets get
 * "disconnect" with reason "transport close".
 *
 * Only with `connectionStateRecovery` and this cluster's adapter: otherwise the sockets would get
 * new ids on the new owner, and the connection stays.
 *
 * @example
 * const release = new ConnectionRelease(io);
 * if (await release.release(conn)) answerReleased();
 */
export class ConnectionRelease {
  constructor(private readonly server: SocketIOServer) {}

  /** The namespaces' adapters, when they are this cluster's (which can say when sessions are stored). */
  private adapters(): Array<{ sessionsPersisted?(): Promise<boolean> }> {
    return [...namespacesOf(this.server).values()].map((nsp) => nsp.adapter as { sessionsPersisted?(): Promise<boolean> });
  }

  /** Whether this server's sockets can be restored on another app-node. */
  recoverable(): boolean {
    if (!serverOptions(this.server).connectionStateRecovery) return false;
    return this.adapters().every((adapter) => typeof adapter.sessionsPersisted === "function");
  }

  /**
   * Lets the connection go, its sessions stored; false (and the connection stays) when they cannot
   * be restored elsewhere. A session that could not be stored is not restored: the new owner then
   * gives the client a new socket, as after a crash.
   */
  async release(conn: RelayConnection): Promise<boolean> {
    if (conn.readyState !== "open" || !this.recoverable()) return false;
    // Socket.IO hands an event to its listeners on the next tick (Socket#dispatch) and drops it if
    // the socket is disconnected by then: the client's packets that came before the RELEASE frame,
    // in its batch or the ones before, must reach their handlers (and their acks the client) first
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (conn.readyState !== "open") return false;
    conn._onClose("transport close", { message: "connection moved to another app-node", error: false });
    const stored = await Promise.all(this.adapters().map((adapter) => adapter.sessionsPersisted!()));
    if (!stored.every(Boolean)) warn("release-session", `connection ${conn.id}: a session could not be stored before its move`);
    debug("connection %s released", conn.id);
    return true;
  }
}
