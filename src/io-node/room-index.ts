import { RoomOp } from "../protocol/frame";

/** The rooms of one socket (one connection in one namespace), as its app-node last said. */
export interface Membership {
  sid: string;
  /** Whether it is in its own room (the room named by its id): nearly always, so not in `rooms`. */
  own: boolean;
  /** Its other rooms, when it has any. */
  rooms?: Set<string>;
}

/** What the index keeps on each connection it indexes. */
export interface RoomMember {
  readonly id: string;
  /** The rooms of the member's socket in `nsp`, when known. */
  membership(nsp: string): Membership | undefined;
  /** Keeps (or, with undefined, forgets) them; false when the member has no socket in `nsp` to keep them for. */
  setMembership(nsp: string, m: Membership | undefined): boolean;
  /** The namespaces the member has rooms in. */
  membershipNamespaces(): Iterable<string>;
  /** Marks used while selecting the targets of one broadcast, so a member is visited once. */
  pickMark: number;
  skipMark: number;
}

/**
 * Whether a socket with rooms `m` is among the targets of a broadcast to `rooms` (every socket of
 * the namespace when empty) except `except`: Socket.IO's adapter rule, for one socket.
 */
export function membershipReaches(m: Membership | undefined, rooms: string[], except: string[]): boolean {
  if (!m) return false;
  const has = (room: string) => (room === m.sid ? m.own : m.rooms?.has(room) === true);
  if (except.some(has)) return false;
  return rooms.length === 0 || rooms.some(has);
}

/**
 * The members of one room: most rooms (every socket's own) hold one connection, kept without a Set.
 */
type Members = RoomMember | Set<RoomMember>;

function takeOwn(m: Membership): boolean {
  const was = m.own;
  m.own = false;
  return was;
}

/**
 * Called when a room appears on this io-node (its first member) or vanishes (its last); `own` when
 * it is a socket's own room (named by its id).
 */
export type PresenceListener = (nsp: string, room: string, present: boolean, own: boolean) => void;

/**
 * The io-node's room index: per namespace, room -> the connections whose socket is in it, kept true
 * by the owning app-nodes' ROOMS frames. A broadcast is then one frame per io-node, fanned out here.
 *
 * @example
 * const index = new RoomIndex((nsp, room, present) => announce(nsp, room, present));
 * index.apply(conn, "/", sid, RoomOp.JOIN, ["lobby"]);
 * index.forEachMember("/", ["lobby"], [], (conn) => write(conn));
 */
export class RoomIndex {
  private readonly namespaces = new Map<string, Map<string, Members>>();
  /** Per namespace, every indexed member (the targets of a broadcast without rooms). */
  private readonly members = new Map<string, Set<RoomMember>>();
  private mark = 0;

  constructor(private readonly onPresence?: PresenceListener) {}

  /**
   * Applies a socket's room change. A JOIN for a new socket id in a namespace (the connection got a
   * new socket there, e.g. after a re-home without recovery) replaces the old socket's rooms.
   */
  apply(member: RoomMember, nsp: string, sid: string, op: RoomOp, rooms: string[]): void {
    let m = member.membership(nsp);
    if (op === RoomOp.LEAVE_ALL) {
      if (m && m.sid === sid) this.leaveNamespace(member, nsp);
      return;
    }
    if (m && m.sid !== sid) {
      if (op === RoomOp.LEAVE) return;
      this.leaveNamespace(member, nsp);
      m = undefined;
    }
    if (op === RoomOp.LEAVE) {
      if (!m) return;
      for (const room of rooms) {
        if (room === sid ? takeOwn(m) : m.rooms?.delete(room)) this.remove(member, nsp, room, room === sid);
      }
      return;
    }
    if (!m) {
      m = { sid, own: false };
      if (!member.setMembership(nsp, m)) return;
      let all = this.members.get(nsp);
      if (!all) this.members.set(nsp, (all = new Set()));
      all.add(member);
    }
    for (const room of rooms) {
      if (room === sid) {
        if (m.own) continue;
        m.own = true;
      } else {
        if (m.rooms?.has(room)) continue;
        (m.rooms ??= new Set()).add(room);
      }
      this.add(member, nsp, room, room === sid);
    }
  }

  /** The socket of this connection left `nsp` (or the connection closed): all its rooms there go. */
  leaveNamespace(member: RoomMember, nsp: string): void {
    const m = member.membership(nsp);
    if (!m) return;
    member.setMembership(nsp, undefined);
    if (m.own) this.remove(member, nsp, m.sid, true);
    for (const room of m.rooms ?? []) this.remove(member, nsp, room, false);
    const all = this.members.get(nsp);
    all?.delete(member);
    if (all?.size === 0) this.members.delete(nsp);
  }

  /** The connection closed. */
  removeMember(member: RoomMember): void {
    for (const nsp of [...member.membershipNamespaces()]) this.leaveNamespace(member, nsp);
  }

  /**
   * Calls `fn` once for each member of `nsp` in any of `rooms` (every member when `rooms` is empty)
   * and in none of `except`, as Socket.IO's adapter selects a broadcast's sockets.
   */
  forEachMember(nsp: string, rooms: string[], except: string[], fn: (member: RoomMember) => void): void {
    const index = this.namespaces.get(nsp);
    if (!index) return;
    const mark = ++this.mark;
    for (const room of except) {
      const entry = index.get(room);
      if (entry instanceof Set) for (const member of entry) member.skipMark = mark;
      else if (entry) entry.skipMark = mark;
    }
    if (rooms.length === 0) {
      for (const member of this.members.get(nsp) ?? []) {
        if (member.skipMark !== mark) fn(member);
      }
      return;
    }
    const visit = (member: RoomMember) => {
      if (member.skipMark === mark || member.pickMark === mark) return;
      member.pickMark = mark;
      fn(member);
    };
    for (const room of rooms) {
      const entry = index.get(room);
      if (entry instanceof Set) for (const member of entry) visit(member);
      else if (entry) visit(entry);
    }
  }

  /** Whether any member is in `room` of `nsp`. */
  has(nsp: string, room: string): boolean {
    return this.namespaces.get(nsp)?.has(room) ?? false;
  }

  /** Every (namespace, room) with at least one member: a presence snapshot. */
  *rooms(): Generator<[string, string]> {
    for (const [nsp, index] of this.namespaces) {
      for (const room of index.keys()) yield [nsp, room];
    }
  }

  private add(member: RoomMember, nsp: string, room: string, own: boolean): void {
    let index = this.namespaces.get(nsp);
    if (!index) this.namespaces.set(nsp, (index = new Map()));
    const entry = index.get(room);
    if (!entry) {
      index.set(room, member);
      this.onPresence?.(nsp, room, true, own);
    } else if (entry instanceof Set) {
      entry.add(member);
    } else if (entry !== member) {
      index.set(room, new Set([entry, member]));
    }
  }

  private remove(member: RoomMember, nsp: string, room: string, own: boolean): void {
    const index = this.namespaces.get(nsp);
    const entry = index?.get(room);
    if (!index || !entry) return;
    if (entry instanceof Set) {
      if (!entry.delete(member)) return;
      if (entry.size === 1) index.set(room, entry.values().next().value as RoomMember);
      return;
    }
    if (entry !== member) return;
    index.delete(room);
    if (index.size === 0) this.namespaces.delete(nsp);
    this.onPresence?.(nsp, room, false, own);
  }
}
