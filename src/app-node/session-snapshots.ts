import * as msgpack from "notepack.io";
import type { Session } from "socket.io-adapter";
import { warn } from "../log";
import { Transport } from "../transport/transport";
import { sessionKey } from "../transport/keys";
import { clearInterval, now as clockNow, setInterval } from "../clock";
import { privateSessionId } from "../socketio-shim";

/** A session as kept in the transport; `since` is when the socket started (for clients with no offset yet). */
export interface StoredSession {
  sid: string;
  pid: string;
  rooms: string[];
  data: unknown;
  since: number;
}

interface Known {
  pid: string;
  last?: Buffer;
  writtenAt: number;
  since: number;
  persisted: boolean;
}

/**
 * Keeps every live socket's session (id, rooms, data) in the transport, refreshed when it changes,
 * so that when an app-node dies without warning, the app-node that takes its connections over can
 * restore them. Socket.IO itself persists a session only on a clean disconnect; this covers the
 * unclean one. Only used with `connectionStateRecovery`.
 */
export class SessionSnapshots {
  private readonly known = new Map<string, Known>();
  /** Writes of `persist` under way. */
  private readonly persisting = new Set<Promise<boolean>>();
  private readonly timer: NodeJS.Timeout;
  /** The last write of each pid still on its way (a recovery claim waits for it, see stale-sessions.ts). */
  private readonly writing = new Map<string, Promise<boolean>>();

  constructor(
    private readonly transport: Transport,
    private readonly nsp: { name: string; sockets: Map<string, any> },
    private readonly ttl: number,
    interval: number,
  ) {
    this.timer = setInterval(() => this.snapshot(), interval);
    this.timer.unref();
  }

  private key(pid: string): string {
    return sessionKey(pid);
  }

  /** Writes the sessions that changed, and refreshes the ones about to expire. */
  snapshot(): void {
    const now = clockNow();
    for (const [sid, socket] of this.nsp.sockets) {
      const pid = privateSessionId(socket);
      if (pid === undefined) continue;
      let k = this.known.get(sid);
      if (!k) {
        k = { pid, writtenAt: 0, since: socket.handshake?.issued ?? now, persisted: false };
        this.known.set(sid, k);
      }
      const buf = this.encode({ sid, pid, rooms: [...socket.rooms], data: socket.data, since: k.since });
      if (!buf) continue;
      if (k.last && k.last.equals(buf) && now - k.writtenAt < this.ttl / 2) continue;
      k.last = buf;
      k.writtenAt = now;
      this.write(sid, k.pid, buf);
    }
  }

  /** Stores a session; resolves true once it is in the transport, false when it could not be. */
  private write(sid: string, pid: string, buf: Buffer): Promise<boolean> {
    const done = this.transport.setValue(this.key(pid), buf, this.ttl).then(
      () => true,
      (err: Error) => {
        warn("session-write", `could not store session of ${sid}: ${err.message}`);
        return false;
      },
    );
    this.writing.set(pid, done);
    void done.then(() => {
      if (this.writing.get(pid) === done) this.writing.delete(pid);
    });
    return done;
  }

  /**
   * Resolves once what this app-node last wrote of a session is in the transport (at once when
   * nothing is on its way), so that a read elsewhere sees it.
   *
   * @example
   * socket.conn.close(); await snapshots.written(socket.pid); // the session with its last rooms is stored
   */
  async written(pid: string): Promise<void> {
    await this.writing.get(pid);
  }

  /** Socket.IO's own persistence on a recoverable disconnect. */
  persist(session: Session): void {
    const k = this.known.get(session.sid);
    if (k) k.persisted = true;
    const buf = this.encode({
      sid: session.sid,
      pid: session.pid,
      rooms: session.rooms,
      data: session.data,
      since: k?.since ?? clockNow(),
    });
    if (!buf) return;
    const write = this.write(session.sid, session.pid, buf);
    this.persisting.add(write);
    void write.then(() => this.persisting.delete(write));
  }

  /**
   * Resolves once every session persisted so far is in the transport: true when all were stored.
   * A connection moved to another app-node waits for it (see `connection-release.ts`).
   *
   * @example
   * socket.conn.close(); // Socket.IO persists the sessions
   * if (await snapshots.persisted()) tellTheIoNode();
   */
  async persisted(): Promise<boolean> {
    const results = await Promise.all([...this.persisting]);
    return results.every(Boolean);
  }

  /** The socket left for good (or after `persist`): its snapshot goes unless it was persisted. */
  forget(sid: string): void {
    const k = this.known.get(sid);
    if (!k) return;
    this.known.delete(sid);
    if (!k.persisted) void this.transport.deleteValue(this.key(k.pid)).catch(() => undefined);
  }

  async load(pid: string): Promise<StoredSession | null> {
    const raw = await this.transport.getValue(this.key(pid));
    if (!raw) return null;
    try {
      const s = msgpack.decode(raw) as StoredSession;
      if (s && s.pid === pid && typeof s.sid === "string" && Array.isArray(s.rooms) && typeof s.since === "number") {
        return s;
      }
    } catch {
      // fall through
    }
    warn("session-garbage", `ignoring a malformed stored session for pid ${pid.slice(0, 32)}`);
    return null;
  }

  /** A session restores once. */
  async consume(pid: string): Promise<void> {
    await this.transport.deleteValue(this.key(pid));
  }

  close(): void {
    clearInterval(this.timer);
  }

  private encode(s: StoredSession): Buffer | undefined {
    try {
      return msgpack.encode(s);
    } catch (err) {
      warn("session-encode", `socket.data of ${s.sid} cannot be stored for recovery: ${(err as Error).message}`);
      return undefined;
    }
  }
}
