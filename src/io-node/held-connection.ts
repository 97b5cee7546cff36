import type { Socket as EioSocket } from "engine.io";
import { Handshake, Payload } from "../protocol/frame";
import type { Membership, RoomMember } from "./room-index";

/** What the io-node remembers of a namespace the client joined, to rejoin it on another app-node. */
export interface JoinedNamespace {
  /** The auth payload of the client's CONNECT packet. */
  auth: unknown;
  /** Socket id and private session id from the server's CONNECT reply. */
  sid?: string;
  pid?: string;
  /** Last connection-state-recovery offset the client received in this namespace. */
  offset?: string;
}

/**
 * One client connection held by an io-node.
 *
 * - `pending`: no live app-node could take it yet; client packets wait in `held`.
 * - `open`: packets flow to `owner`.
 * - `rejoining`: handed to a new owner after the previous one died; the namespaces are being
 *   re-joined there and client packets wait until every namespace has answered.
 */
export class HeldConnection implements RoomMember {
  state: "pending" | "open" | "rejoining" = "pending";
  owner?: string;
  readonly held: Payload[] = [];
  readonly namespaces = new Map<string, JoinedNamespace>();
  /** Namespaces re-joined on a new owner that have not answered yet (only while re-homing). */
  awaiting?: Set<string>;
  /** Set once the connection was handed over at least once. */
  rehomed = false;
  /** The app-node asked for the close: it needs no CLOSE frame back. */
  closedByApp = false;
  pendingTimer?: NodeJS.Timeout;
  /** The client info last sent to the owner, as JSON, to send it again only when it changed. */
  sentInfo?: string;
  /** Per namespace, the socket's rooms (see `room-index.ts`). */
  readonly memberships = new Map<string, Membership>();
  pickMark = 0;
  skipMark = 0;

  constructor(
    readonly socket: EioSocket,
    readonly handshake: Handshake,
  ) {}

  get id(): string {
    return (this.socket as unknown as { id: string }).id;
  }
}
