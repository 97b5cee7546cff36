import { debug } from "../log";
import { Frame, FrameType, Payload } from "./frame";

/**
 * The packet path, traced with `DEBUG=socket.io-cluster:*` as `DEBUG=socket.io:*` traces plain
 * Socket.IO: a client packet entering an io-node, the relay batch it leaves in and arrives in, the
 * app-node handing it to Socket.IO, the app-node's write, and the write leaving the io-node. The
 * co-located fast path is a function call: it has no batch lines.
 *
 * Every call site tests `enabled` before it builds a description, so tracing costs a property
 * read per packet when it is off.
 *
 * @example
 * if (tracePacketIo.enabled) tracePacketIo("in %s %s", connId, describePacket(data));
 */
export const tracePacketIo = debug("io-node:packet");
/** Batches between nodes, both ways: sender, receiver, epoch, seq, frames and bytes. */
export const traceBatch = debug("relay:batch");
/** The app-node's side: packets handed to Socket.IO and the writes it makes. */
export const tracePacketApp = debug("app-node:packet");

/** Socket.IO packet types by the char code of their first character ("0".."6"). */
const SIO_TYPE_NAMES = ["CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"];

/**
 * An Engine.IO message as a trace shows it: its Engine.IO type, the Socket.IO packet type inside
 * and its size, e.g. `message/EVENT 17B`. A binary attachment is `message/attachment`. For
 * traces only: it reads one character and measures the payload.
 *
 * @example
 * describePacket('2["hello"]'); // "message/EVENT 10B"
 */
export function describePacket(data: Payload): string {
  if (typeof data !== "string") return `message/attachment ${data.length}B`;
  const name = SIO_TYPE_NAMES[data.charCodeAt(0) - 48] ?? "?";
  return `message/${name} ${Buffer.byteLength(data)}B`;
}

/** Frames shown per batch at most; the rest are counted. */
const SHOWN_FRAMES = 8;

/**
 * A batch's frames as a trace shows them: type, connection and, for packets, what
 * {@link describePacket} says.
 *
 * @example
 * describeFrames([{ type: FrameType.DATA, connId: "c1", data: '2["hi"]' }]); // 'DATA c1 message/EVENT 7B'
 */
export function describeFrames(frames: Frame[]): string {
  const parts: string[] = [];
  for (let i = 0; i < frames.length && i < SHOWN_FRAMES; i++) parts.push(describeFrame(frames[i]));
  if (frames.length > SHOWN_FRAMES) parts.push(`+${frames.length - SHOWN_FRAMES} more`);
  return parts.join(", ");
}

function describeFrame(frame: Frame): string {
  const name = FrameType[frame.type] ?? String(frame.type);
  switch (frame.type) {
    case FrameType.DATA:
    case FrameType.WRITE:
      return `${name} ${frame.connId} ${describePacket(frame.data)}`;
    case FrameType.RECEIPT:
      return `${name} ${frame.epoch}:${frame.seq}`;
    case FrameType.BROADCAST:
      return `${name} ${frame.nsp} ${frame.rooms.length > 0 ? frame.rooms.join("|") : "(all)"} ${frame.data.map(describePacket).join("+")}`;
    case FrameType.EPOCH_CHECK:
    case FrameType.EPOCH_STATUS:
      return `${name} ${frame.epoch}`;
    case FrameType.PRESENCE_SEEN:
      return `${name} ${frame.seq}`;
    default:
      return `${name} ${frame.connId}`;
  }
}
