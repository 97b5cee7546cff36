import * as msgpack from "notepack.io";
import type { BroadcastOptions } from "socket.io-adapter";
import { warn } from "../log";
import type { Transport } from "../transport/transport";
import type { StoredSession } from "./session-snapshots";

/** Packets kept for connection state recovery, per namespace (the log is trimmed beyond). */
const MAX_LOGGED_PACKETS = 100_000;

/** One entry of the log, as the transport reads it. */
type LogEntry = { id: string; payload: Buffer };

/** A broadcast as the log keeps it: its arguments, and whom it was for. */
export interface LoggedPacket {
  data: unknown[];
  opts: { rooms: string[]; except: string[] };
}

/**
 * A namespace's log of broadcasts for connection state recovery, kept in the transport so a
 * session is restored on any app-node. Its methods hand the transport's promises back as they
 * are: a broadcast's order against the app-node's writes depends on when its offset is known.
 *
 * @example
 * const offset = await log.append({ data, opts: { rooms: [], except: [] } });
 * const missed = log.missed(stored, await log.read(stored, offset));
 */
export class RecoveryLog {
  constructor(
    private readonly transport: Transport,
    readonly key: string,
  ) {}

  /** Appends a broadcast; resolves with its offset. */
  append(entry: LoggedPacket): Promise<string> {
    return this.transport.appendLog(this.key, msgpack.encode(entry), MAX_LOGGED_PACKETS);
  }

  /** The entries after `offset` ("": since the session was stored); null when the log lost it. */
  read(stored: StoredSession, offset: string): Promise<LogEntry[] | null> {
    return offset === "" ? this.transport.readLogSince(this.key, stored.since) : this.transport.readLog(this.key, offset);
  }

  /** What of `entries` the session would have received, each with its offset last (Socket.IO's form). */
  missed(stored: StoredSession, entries: LogEntry[]): unknown[][] {
    const missedPackets: unknown[][] = [];
    for (const { id, payload } of entries) {
      let entry: LoggedPacket;
      try {
        entry = msgpack.decode(payload) as LoggedPacket;
      } catch {
        warn("log-garbage", `recovery log ${this.key}: skipping an undecodable entry ${id}`);
        continue;
      }
      if (Array.isArray(entry?.data) && reaches(stored, entry.opts)) missedPackets.push([...entry.data, id]);
    }
    return missedPackets;
  }
}

/** A broadcast a recovering client may have missed: an event, without ack, not volatile. */
export function isLoggable(packet: { type: number; id?: number }, bopts: BroadcastOptions): boolean {
  return packet.type === 2 && packet.id === undefined && !bopts.flags?.volatile;
}

/** Whether a packet sent to `opts.rooms` except `opts.except` would have reached this session. */
function reaches(session: StoredSession, opts: LoggedPacket["opts"] | undefined): boolean {
  if (!opts) return false;
  const rooms = new Set(session.rooms);
  const included = opts.rooms.length === 0 || opts.rooms.some((r) => rooms.has(r));
  return included && !opts.except.some((r) => rooms.has(r));
}
