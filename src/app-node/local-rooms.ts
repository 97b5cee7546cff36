import type { RelayConnection } from "./relay-connection";

/**
 * Where this app-node's own sockets of one namespace are: per room, the io-nodes holding members and
 * how many. A broadcast right after a join must reach that io-node even before its presence
 * announcement came back, so for its own sockets the app-node does not wait for it. A socket's own
 * room (its id) is not counted: the socket itself says where it is.
 *
 * @example
 * local.connected(sid, conn, [sid, "lobby"]);
 * local.collect(["lobby"], targets, false); // targets has conn.ioNodeId
 */
export class LocalRooms {
  private readonly sockets = new Map<string, RelayConnection>();
  private readonly byRoom = new Map<string, Map<string, number>>();
  /** io-node -> sockets of this namespace there, for broadcasts to the whole namespace. */
  private readonly byIoNode = new Map<string, number>();

  /** The connection of a socket announced to its io-node. */
  connectionOf(sid: string): RelayConnection | undefined {
    return this.sockets.get(sid);
  }

  /** The socket is connected: from now on its io-node knows its rooms. */
  connected(sid: string, conn: RelayConnection, rooms: Iterable<string>): void {
    this.sockets.set(sid, conn);
    bump(this.byIoNode, conn.ioNodeId, 1);
    this.joined(sid, rooms);
  }

  /** The socket joined `rooms`. */
  joined(sid: string, rooms: Iterable<string>): void {
    this.count(sid, rooms, 1);
  }

  /** The socket left `rooms`. */
  left(sid: string, rooms: Iterable<string>): void {
    this.count(sid, rooms, -1);
  }

  /** The socket left the namespace. */
  disconnected(sid: string, rooms: Iterable<string>): void {
    const conn = this.sockets.get(sid);
    if (!conn) return;
    this.left(sid, rooms);
    bump(this.byIoNode, conn.ioNodeId, -1);
    this.sockets.delete(sid);
  }

  /** Adds `by` to the count of the socket's io-node in each of `rooms` but its own, dropping a room at zero. */
  private count(sid: string, rooms: Iterable<string>, by: 1 | -1): void {
    const conn = this.sockets.get(sid);
    if (!conn) return;
    for (const room of rooms) {
      if (room === sid) continue;
      let counts = this.byRoom.get(room);
      if (!counts) this.byRoom.set(room, (counts = new Map()));
      bump(counts, conn.ioNodeId, by);
      if (counts.size === 0) this.byRoom.delete(room);
    }
  }

  /** Adds the io-nodes holding this app-node's members of `rooms` (or of the namespace) to `into`. */
  collect(rooms: Iterable<string>, into: Set<string>, everyRoom: boolean): void {
    if (everyRoom) {
      for (const id of this.byIoNode.keys()) into.add(id);
      return;
    }
    for (const room of rooms) {
      const counts = this.byRoom.get(room);
      if (counts) for (const id of counts.keys()) into.add(id);
      const socket = this.sockets.get(room);
      if (socket) into.add(socket.ioNodeId);
    }
  }
}

/** Adds `by` to a count, deleting it at zero (a missing count stays missing when lowered). */
function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = counts.get(key);
  if (n === undefined && by < 0) return;
  const next = (n ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}
