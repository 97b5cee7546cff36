import { now } from "../clock";
import { debug as makeDebug } from "../log";
import { BroadcastFlag, Payload } from "../protocol/frame";
import { EVERY_ROOM } from "../protocol/presence";
import { packetJsonBody, trailingOffset } from "../protocol/socketio-peek";
import { membershipReaches, Membership } from "./room-index";

const debug = makeDebug("recovery");

/** A broadcast frame that reached the io-node while a socket's session was being restored. */
interface KeptBroadcast {
  from: string;
  rooms: string[];
  except: string[];
  flags: number;
  offset?: string;
  data: Payload[];
  /** Whether the socket was a member of the targets when the frame came (what a new session gets). */
  matched: boolean;
}

/**
 * The time between a client's CONNECT that asks to recover a session (auth `pid` and `offset`) and
 * the app-node's reply, for one connection and namespace.
 */
export interface RecoveryWindow {
  readonly nsp: string;
  readonly pid: string;
  /** The greatest offset the client has been sent: its own, then those of the missed packets. */
  upTo: string;
  /** The offsets of the missed packets the app-node wrote before its reply. */
  readonly replayed: Set<string>;
  readonly kept: KeptBroadcast[];
}

/**
 * The offsets a restored session was sent as missed packets, watched for a while after the reply:
 * a broadcast logged before the app-node's read whose live frame is still on its way (it comes on
 * the broadcasting app-node's link, after the reply) is one the client already has.
 */
export interface ReplayedOffsets {
  readonly offsets: Set<string>;
  /** The real clock's time (clock.ts) after which a late live copy is no longer looked for. */
  readonly until: number;
}

/**
 * How long after a restored session's reply live copies of its missed packets are dropped. A
 * broadcast's frame leaves its app-node right after its offset is known, so it is late by a relay
 * delay at most; after this the watch costs a duplicate at worst, never a loss.
 */
const REPLAY_WATCH_MS = 10_000;

/** What the windows read of the connection they are opened for. */
export interface WindowOwner {
  readonly owner?: string;
  membership(nsp: string): Membership | undefined;
}

/** What the windows do to a connection: write a message, or end a connection that kept too much. */
export interface WindowActions<C extends WindowOwner> {
  write(conn: C, data: Payload, options: { compress: boolean }, volatile: boolean): void;
  overflow(conn: C): void;
}

/**
 * Connection state recovery across app-nodes, io-node side. The owning app-node reads the recovery
 * log once and sends what the client missed, but broadcasts logged by any app-node keep coming while
 * it does: one logged after the read reaches the io-node before the socket's rooms are restored, one
 * logged before it may also arrive live after them. So while a session is being restored:
 *
 * - the io-node asks for every broadcast of the namespace (room presence {@link EVERY_ROOM}), and
 *   only lets the CONNECT go to the app-node once that is announced, so every broadcast logged
 *   after the app-node's read reaches it;
 * - it keeps the namespace's broadcasts aside for that socket instead of writing them;
 * - at the app-node's reply it writes, after the reply, the kept broadcasts logged after the last
 *   missed packet that reach the restored rooms (a recovered session), or those the socket was a
 *   member of when they came (a new session), in the order they came.
 *
 * The window lasts one round trip through the app-node and a log read.
 *
 * @example
 * const windows = new RecoveryWindows((nsp, present) => presence.changed(nsp, EVERY_ROOM, present), { write, overflow }, 1000);
 * const w = windows.open(conn, "/", auth); // at the client's CONNECT
 * windows.keep("/", from, frame);          // for each broadcast of "/"
 * windows.close(conn, w, reply);           // at the app-node's CONNECT reply
 */
export class RecoveryWindows<C extends WindowOwner> {
  /** nsp -> the windows open in it and their connections */
  private readonly windows = new Map<string, Map<RecoveryWindow, C>>();

  constructor(
    private readonly onEveryRoom: (nsp: string, present: boolean) => void,
    private readonly actions: WindowActions<C>,
    private readonly maxKept: number,
  ) {}

  /** A window for a CONNECT whose auth asks to recover a session; undefined for any other CONNECT. */
  open(conn: C, nsp: string, auth: unknown): RecoveryWindow | undefined {
    const { pid, offset } = (auth ?? {}) as { pid?: unknown; offset?: unknown };
    if (typeof pid !== "string" || typeof offset !== "string") return undefined;
    let windows = this.windows.get(nsp);
    if (!windows) {
      this.windows.set(nsp, (windows = new Map()));
      this.onEveryRoom(nsp, true);
    }
    const window: RecoveryWindow = { nsp, pid, upTo: offset, replayed: new Set(), kept: [] };
    windows.set(window, conn);
    debug("session %s restoring in %s from offset %s", pid, nsp, offset);
    return window;
  }

  /** Whether any session of `nsp` is being restored (the broadcast path's quick check). */
  restoring(nsp: string): boolean {
    return this.windows.has(nsp);
  }

  /** A packet the app-node writes to the socket before its reply: a missed packet moves `upTo`. */
  written(window: RecoveryWindow, packet: string): void {
    const offset = trailingOffset(packet);
    if (!offset) return;
    window.replayed.add(offset);
    if (compareOffsets(offset, window.upTo) > 0) window.upTo = offset;
  }

  /** Keeps a broadcast of `nsp` for every socket of it being restored. */
  keep(nsp: string, from: string, rooms: string[], except: string[], flags: number, offset: string | undefined, data: Payload[]): void {
    const windows = this.windows.get(nsp);
    if (!windows) return;
    for (const [window, conn] of windows) {
      if (window.kept.length >= this.maxKept) {
        this.discard(conn, window);
        this.actions.overflow(conn);
        continue;
      }
      const local = (flags & BroadcastFlag.LOCAL) !== 0;
      const matched = membershipReaches(conn.membership(nsp), rooms, except) && (!local || conn.owner === from);
      window.kept.push({ from, rooms, except, flags, offset, data, matched });
    }
  }

  /**
   * The app-node answered the CONNECT (`reply` is what it wrote: CONNECT, CONNECT_ERROR or
   * DISCONNECT) and the reply went out: writes what the socket is due of the kept broadcasts.
   * Returns the offsets of the missed packets of a recovered session, for {@link wasReplayed}.
   */
  close(conn: C, window: RecoveryWindow, reply: string | undefined): ReplayedOffsets | undefined {
    if (!this.discard(conn, window)) return undefined;
    const body = reply?.charCodeAt(0) === 48 /* CONNECT */ ? (packetJsonBody(reply) as { pid?: unknown } | undefined) : undefined;
    if (!body) return undefined;
    const recovered = body.pid === window.pid;
    const m = conn.membership(window.nsp);
    let written = 0;
    for (const k of window.kept) {
      const due = recovered
        ? k.offset === undefined
          ? k.matched
          : compareOffsets(k.offset, window.upTo) > 0 &&
            membershipReaches(m, k.rooms, k.except) &&
            ((k.flags & BroadcastFlag.LOCAL) === 0 || conn.owner === k.from)
        : k.matched;
      if (!due) continue;
      const options = { compress: (k.flags & BroadcastFlag.NO_COMPRESS) === 0 };
      for (const d of k.data) this.actions.write(conn, d, options, (k.flags & BroadcastFlag.VOLATILE) !== 0);
      written++;
    }
    debug("session %s %s: %d of %d kept broadcast(s) written", window.pid, recovered ? "recovered" : "not recovered", written, window.kept.length);
    if (!recovered || window.replayed.size === 0) return undefined;
    return { offsets: window.replayed, until: now() + REPLAY_WATCH_MS };
  }

  /** Forgets the window without writing anything (the connection closed); false if it was gone. */
  discard(conn: C, window: RecoveryWindow): boolean {
    const windows = this.windows.get(window.nsp);
    if (!windows || windows.get(window) !== conn) return false;
    windows.delete(window);
    if (windows.size === 0) {
      this.windows.delete(window.nsp);
      this.onEveryRoom(window.nsp, false);
    }
    return true;
  }

  /** The namespaces with a session being restored: a presence snapshot lists {@link EVERY_ROOM} in them. */
  *everyRoomNamespaces(): Generator<string> {
    yield* this.windows.keys();
  }
}

/**
 * Whether a live broadcast of offset `offset` is one the restored session was already sent as a
 * missed packet (then it is not written again); forgets the offsets once matched or past their watch.
 *
 * @example
 * if (offset && joined.replayed && wasReplayed(joined, offset)) return; // the client has it
 */
export function wasReplayed(holder: { replayed?: ReplayedOffsets }, offset: string): boolean {
  const replayed = holder.replayed!;
  if (now() > replayed.until) {
    holder.replayed = undefined;
    return false;
  }
  if (!replayed.offsets.delete(offset)) return false;
  if (replayed.offsets.size === 0) holder.replayed = undefined;
  debug("a live copy of missed packet %s dropped", offset);
  return true;
}

/** Orders two recovery offsets ("<ms>-<seq>", as Redis stream ids). */
export function compareOffsets(a: string, b: string): number {
  const [am, as] = splitOffset(a);
  const [bm, bs] = splitOffset(b);
  return am !== bm ? am - bm : as - bs;
}

function splitOffset(offset: string): [number, number] {
  const dash = offset.indexOf("-");
  if (dash === -1) return [Number(offset) || 0, 0];
  return [Number(offset.slice(0, dash)) || 0, Number(offset.slice(dash + 1)) || 0];
}
