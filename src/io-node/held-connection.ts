import type { Socket as EioSocket } from "engine.io";
import { Handshake, Payload } from "../protocol/frame";
import type { Membership, RoomMember } from "./room-index";
import type { RecoveryWindow, ReplayedOffsets } from "./recovery-window";
import { engineSocketId, requestQuery } from "../socketio-shim";

/** What the io-node remembers of a namespace the client joined, to rejoin it on another app-node. */
export interface JoinedNamespace {
  /** The auth payload of the client's CONNECT packet. */
  auth: unknown;
  /** Socket id and private session id from the server's CONNECT reply. */
  sid?: string;
  pid?: string;
  /** Last connection-state-recovery offset the client received in this namespace. */
  offset?: string;
  /** The socket's rooms here, as its app-node said (see `room-index.ts`). */
  rooms?: Membership;
  /** Open from a CONNECT asking to recover a session until the app-node's reply (see `recovery-window.ts`). */
  recovery?: RecoveryWindow;
  /** After a restore: the missed packets' offsets, whose live copies are not written again. */
  replayed?: ReplayedOffsets;
}

/**
 * One client connection held by an io-node.
 *
 * - `pending`: no live app-node could take it yet; client packets wait in `pendingPackets`.
 * - `open`: packets flow to `owner`.
 * - `rejoining`: handed to a new owner after the previous one died; the namespaces are being
 *   re-joined there and client packets wait until every namespace has answered.
 * - `moving`: the owner was asked to let it go to `moveTo` (rebalancing); client packets wait.
 */
export class HeldConnection implements RoomMember {
  state: "pending" | "open" | "rejoining" | "moving" = "pending";
  owner?: string;
  /** The app-node a rebalancing move takes the connection to (while `moving`). */
  moveTo?: string;
  /** Its owner refused to let it go (its sockets cannot be recovered elsewhere): never asked again. */
  unmovable = false;
  readonly pendingPackets: Payload[] = [];
  readonly namespaces = new Map<string, JoinedNamespace>();
  /** Namespaces re-joined on a new owner that have not answered yet (only while re-homing). */
  awaiting?: Set<string>;
  /** The client's packets wait in `pendingPackets` until this io-node's room presence is announced. */
  waitsForPresence = false;
  /** Set once the connection was handed over at least once. */
  rehomed = false;
  /** The app-node asked for the close: it needs no CLOSE frame back. */
  closedByApp = false;
  pendingTimer?: NodeJS.Timeout;
  /** The client info last sent to the owner, as JSON, to send it again only when it changed. */
  sentInfo?: string;
  pickMark = 0;
  skipMark = 0;
  /**
   * A volatile binary packet arrives as one write per part; its attachments share the fate its
   * header met (sent or dropped), as Socket.IO checks `writable` once per packet.
   */
  volatileParts?: { keep: boolean; left: number };

  /** Whether the client came over TLS (read once: the request's socket may be gone at a re-home). */
  private readonly secure: boolean;

  constructor(readonly socket: EioSocket) {
    this.secure = !!(socket.request.connection as { encrypted?: boolean } | undefined)?.encrypted;
  }

  /**
   * What the owner needs to rebuild `socket.handshake`, read from the Engine.IO socket when the
   * connection is handed to an app-node (Engine.IO keeps the request; a copy per connection would
   * only cost memory).
   */
  handshake(transport: string): Handshake {
    const req = this.socket.request;
    return {
      protocol: this.socket.protocol,
      headers: req.headers,
      url: req.url ?? "",
      query: requestQuery(req),
      method: req.method ?? "GET",
      httpVersion: req.httpVersion,
      rawHeaders: req.rawHeaders,
      remoteAddress: this.socket.remoteAddress,
      secure: this.secure,
      transport,
      ...(this.rehomed ? { rehomed: true } : {}),
    };
  }

  get id(): string {
    return engineSocketId(this.socket);
  }

  membership(nsp: string): Membership | undefined {
    return this.namespaces.get(nsp)?.rooms;
  }

  setMembership(nsp: string, m: Membership | undefined): boolean {
    // rooms only for a namespace the client joined: the entry that re-joins it elsewhere keeps them
    const joined = this.namespaces.get(nsp);
    if (!joined) return false;
    joined.rooms = m;
    return true;
  }

  *membershipNamespaces(): Iterable<string> {
    for (const [nsp, joined] of this.namespaces) if (joined.rooms) yield nsp;
  }
}
