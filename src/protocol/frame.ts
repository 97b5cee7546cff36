/**
 * The relay protocol between io-nodes and app-nodes.
 *
 * Frames travel in batches: everything one node has for one peer in one tick becomes one transport
 * message. A batch names its sender, the epoch of the link it travels on and a sequence number, so
 * the receiver can send a receipt for what it has processed and the sender can replay what was not (see
 * `io-node/app-link.ts`); the receiver drops a batch it already processed (see
 * `cluster/receipt-positions.ts`).
 */

/** Bumped on any incompatible change of the batch layout; a node drops batches of another version. */
export const PROTOCOL_VERSION = 3;

export enum FrameType {
  /** io → app: a client connection was handed to this app-node (handshake in `handshake`). */
  OPEN = 1,
  /** io → app: an Engine.IO message from the client (a Socket.IO packet or a binary attachment). */
  DATA = 2,
  /** io → app: the client connection closed. */
  CLOSE = 3,
  /** io → app: the connection is moving to another transport (`done` false: upgrading; true: upgraded). */
  UPGRADE = 4,
  /** app → io: an Engine.IO message for the client. */
  WRITE = 5,
  /** app → io: close the client connection (`discard`: at once, dropping what is unsent, as a server shutdown does). */
  DISCONNECT = 6,
  /** app → io: a receipt: every batch of the link epoch `epoch` up to `seq` has been processed (not a Socket.IO ack). */
  RECEIPT = 7,
  /**
   * io → app: this app-node no longer owns the connection (it was re-homed while it looked dead).
   * Sent on the io-node's one link to the app-node, in order with everything else.
   */
  REVOKE = 8,
  /** io → app: fields an io-node adds about a client (legacy `getClientInfo`), sent before the data they go with. */
  CLIENT_INFO = 9,
  /**
   * app → io: a socket's rooms changed (see {@link RoomOp}). Sent on the same link as the socket's
   * writes, so a join followed by a broadcast of the same app-node is never reordered.
   */
  ROOMS = 10,
  /** app → io: a packet for the io-node's members of some rooms, encoded once (see `io-node/room-index.ts`). */
  BROADCAST = 11,
  /**
   * io → app: hand this connection back, its sessions saved, so it can move to another app-node
   * (load rebalancing, see `io-node/rebalancer.ts`). Sent on the link of the connection's data,
   * after all of it.
   */
  RELEASE = 12,
  /**
   * app → io: answer to {@link FrameType.RELEASE}, after the last write for the connection.
   * `released`: the sockets are gone here and their sessions stored; false: nothing changed (a
   * socket cannot be recovered, or the connection is not here).
   */
  RELEASED = 13,
  /**
   * app → io: "does your link of epoch `epoch` still carry my connections?" Asked by an app-node
   * that was silent long enough to have been thought dead (paused, frozen), before it handles a
   * batch of that epoch: the io-node may have replayed it to another app-node meanwhile.
   */
  EPOCH_CHECK = 14,
  /**
   * io → app: the answer to {@link FrameType.EPOCH_CHECK}. `current` false: the io-node re-homed
   * the connections of that epoch, whose batches the app-node must drop unhandled.
   */
  EPOCH_STATUS = 15,
  /**
   * app → io: this app-node applied the io-node's room presence announcement `seq` (one that asked
   * for it). The io-node holds a join's confirmation until every live app-node said so: each then
   * routes broadcasts to the room by the new picture (see `io-node/presence-announcer.ts`).
   */
  PRESENCE_SEEN = 16,
}

/** What a {@link FrameType.ROOMS} frame does to the socket's rooms. */
export enum RoomOp {
  JOIN = 1,
  LEAVE = 2,
  /** The socket left its namespace: every room goes. */
  LEAVE_ALL = 3,
}

/** Flags of a {@link FrameType.BROADCAST} frame. */
export const enum BroadcastFlag {
  VOLATILE = 1,
  /** `compress: false` was asked for (Engine.IO compresses by default). */
  NO_COMPRESS = 2,
  /** Only the sockets the sending app-node owns (`io.local`). */
  LOCAL = 4,
}

/** What the app-node needs to rebuild `socket.handshake` and `socket.conn` exactly as the client sent them. */
export interface Handshake {
  /** Engine.IO protocol revision of the client (4 for Socket.IO v3/v4 clients). */
  protocol: number;
  headers: Record<string, string | string[] | undefined>;
  url: string;
  query: Record<string, string>;
  method?: string;
  httpVersion?: string;
  rawHeaders?: string[];
  /**
   * How `rawHeaders` crosses the relay: joined by newlines (which HTTP header lines cannot hold),
   * one string instead of an array of many, split again only when read.
   */
  rawHeadersText?: string;
  remoteAddress: string;
  secure: boolean;
  transport: string;
  /** True when the connection was opened on another app-node that has since died. */
  rehomed?: boolean;
}

export type Payload = string | Buffer;

/** Why Engine.IO closed a connection, beyond its reason; `error` when it was an Error object. */
export interface CloseDescription {
  message: string;
  error: boolean;
}

export type Frame =
  | { type: FrameType.OPEN; connId: string; handshake: Handshake }
  | { type: FrameType.DATA; connId: string; data: Payload }
  | { type: FrameType.CLOSE; connId: string; reason: string; description?: CloseDescription }
  | { type: FrameType.UPGRADE; connId: string; transport: string; done: boolean }
  | {
      type: FrameType.WRITE;
      connId: string;
      data: Payload;
      compress: boolean;
      volatile: boolean;
      /** Engine.IO's write options as Socket.IO gave them; in-process only (the codec drops them). */
      options?: object;
    }
  | { type: FrameType.DISCONNECT; connId: string; discard: boolean }
  | { type: FrameType.RECEIPT; epoch: number; seq: number }
  | { type: FrameType.REVOKE; connId: string }
  | { type: FrameType.RELEASE; connId: string }
  | { type: FrameType.RELEASED; connId: string; released: boolean }
  | { type: FrameType.EPOCH_CHECK; epoch: number }
  | { type: FrameType.EPOCH_STATUS; epoch: number; current: boolean }
  | { type: FrameType.PRESENCE_SEEN; seq: number }
  | { type: FrameType.CLIENT_INFO; connId: string; info: Record<string, unknown> }
  | { type: FrameType.ROOMS; connId: string; nsp: string; sid: string; op: RoomOp; rooms: string[] }
  | {
      type: FrameType.BROADCAST;
      nsp: string;
      /** Target rooms; none means every socket of the namespace. */
      rooms: string[];
      except: string[];
      flags: number;
      /**
       * The connection-state-recovery offset of a broadcast the recovery log holds: an io-node
       * keeps such broadcasts for a socket whose session is being restored (see `io-node/recovery-window.ts`).
       */
      offset?: string;
      /** The Engine.IO messages of the packet (one, or a header and its binary attachments). */
      data: Payload[];
    };

export interface Batch {
  version: number;
  /** Node id of the sender. */
  from: string;
  /**
   * Identifies one link object of the sender to the receiver (chosen when it is created, a new one
   * when the sender re-creates the link, as an io-node does for an app-node it thought dead): the
   * sequence numbers of a new epoch start again at 1.
   */
  epoch: number;
  /** Per (sender, receiver, epoch) sequence number, starting at 1. */
  seq: number;
  frames: Frame[];
}
