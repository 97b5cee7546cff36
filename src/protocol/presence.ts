import * as msgpack from "notepack.io";

/**
 * Room presence: which io-node holds at least one member of which room. Every io-node announces the
 * rooms that appear on it (first member) and vanish from it (last member gone) on the presence
 * channel (`CHANNELS.presence` in transport/keys.ts); app-nodes keep the picture so that a broadcast costs one frame per io-node with members,
 * and none to io-nodes without (see `app-node/room-presence.ts`).
 *
 * Announcements of one io-node are numbered, so a receiver that missed one (pub/sub is at most
 * once) notices the gap and asks for a snapshot on the presence-sync channel (payload: the io-node's id).
 */

/**
 * The room an io-node announces in a namespace while it restores a session there: it wants every
 * broadcast of the namespace for that time (see `io-node/recovery-window.ts`). A room an app
 * names so would only cost frames, never a delivery.
 */
export const EVERY_ROOM = "\u0000every room";

export interface PresenceMessage {
  /** The io-node announcing. */
  from: string;
  /** Its announcement counter: deltas count up from 1, a snapshot carries the counter it is current at. */
  seq: number;
  /** A snapshot lists every room present on the io-node; whatever is not listed is absent. */
  snapshot: boolean;
  /**
   * A delta whose sender waits until every app-node applied it (they answer with a PRESENCE_SEEN
   * frame): it holds a join's confirmation meanwhile. Carried as 2 in the snapshot slot, so a
   * node that does not know it reads a plain delta.
   */
  confirm?: boolean;
  /** [namespace, room, present] */
  changes: Array<[string, string, boolean]>;
}

export function encodePresence(m: PresenceMessage): Buffer {
  const flat: Array<string | number> = [];
  for (const [nsp, room, present] of m.changes) flat.push(nsp, room, present ? 1 : 0);
  return msgpack.encode([m.from, m.seq, m.snapshot ? 1 : m.confirm ? 2 : 0, flat]);
}

/** Decodes an announcement; undefined for anything malformed (anyone can publish on Redis). */
export function decodePresence(payload: Buffer): PresenceMessage | undefined {
  let raw: unknown;
  try {
    raw = msgpack.decode(payload);
  } catch {
    return undefined;
  }
  if (!Array.isArray(raw) || raw.length !== 4) return undefined;
  const [from, seq, snapshot, flat] = raw as unknown[];
  if (typeof from !== "string" || !Number.isInteger(seq) || !Array.isArray(flat) || flat.length % 3 !== 0) return undefined;
  const changes: PresenceMessage["changes"] = [];
  for (let i = 0; i < flat.length; i += 3) {
    const nsp = flat[i];
    const room = flat[i + 1];
    if (typeof nsp !== "string" || typeof room !== "string") return undefined;
    changes.push([nsp, room, flat[i + 2] === 1]);
  }
  return { from, seq: seq as number, snapshot: snapshot === 1, confirm: snapshot === 2, changes };
}
