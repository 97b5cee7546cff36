import { Batch, Frame, FrameType, Handshake, Payload, PROTOCOL_VERSION, RoomOp } from "./frame";
import { CodecError } from "../errors";

export { CodecError };

const FLAG_BINARY = 1;
const FLAG_COMPRESS = 2;
const FLAG_VOLATILE = 4;

/**
 * Binary layout (all integers big-endian):
 *   u8 version | str8 from | u32 epoch | u32 seq | u32 frameCount | frames...
 *   frame: u8 type | str8 connId | body
 *   bodies: OPEN str32(json handshake) · DATA u8 flags, bytes32 · CLOSE str32 reason, u8 kind
 *           (0 none, 1 text, 2 Error), str32 description
 *           UPGRADE str8 transport, u8 done · WRITE u8 flags, bytes32 · DISCONNECT u8 discard · REVOKE (none) · RECEIPT u32 epoch, u32 seq
 *           CLIENT_INFO str32(json object) · RELEASE (none) · RELEASED u8 released
 *           EPOCH_CHECK (empty connId) u32 epoch · EPOCH_STATUS (empty connId) u32 epoch, u8 current
 *           PRESENCE_SEEN (empty connId) u32 seq
 *           ROOMS str32 nsp, str32 sid, u8 op, list rooms
 *           BROADCAST (empty connId) str32 nsp, list rooms, list except, u8 flags, str8 offset ("": none),
 *                     u32 count, payloads
 *   list: u32 count, str32 each
 * Socket.IO packets are mostly strings; they are copied as UTF-8 with no JSON round trip.
 */
export function encodeBatch(batch: Batch): Buffer {
  const w = new Writer();
  w.u8(batch.version);
  w.str8(batch.from);
  w.u32(batch.epoch);
  w.u32(batch.seq);
  w.u32(batch.frames.length);
  for (const frame of batch.frames) writeFrame(w, frame);
  return w.finish();
}

export function decodeBatch(buf: Buffer): Batch {
  const r = new Reader(buf);
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) {
    throw new CodecError(`unsupported protocol version ${version} (this node speaks ${PROTOCOL_VERSION})`);
  }
  const from = r.str8();
  const epoch = r.u32();
  const seq = r.u32();
  const count = r.u32();
  const frames: Frame[] = [];
  for (let i = 0; i < count; i++) frames.push(readFrame(r));
  if (!r.done()) throw new CodecError(`${buf.length - r.offset} trailing bytes`);
  return { version, from, epoch, seq, frames };
}

function writeFrame(w: Writer, frame: Frame): void {
  w.u8(frame.type);
  // every frame has the connId slot, as readFrame expects; frames not about one connection leave it empty
  w.str8("connId" in frame ? frame.connId : "");
  switch (frame.type) {
    case FrameType.OPEN:
      w.str32(JSON.stringify(compactHandshake(frame.handshake)));
      break;
    case FrameType.DATA:
      w.payload(frame.data, 0);
      break;
    case FrameType.WRITE:
      w.payload(frame.data, (frame.compress ? FLAG_COMPRESS : 0) | (frame.volatile ? FLAG_VOLATILE : 0));
      break;
    case FrameType.CLOSE:
      w.str32(frame.reason);
      w.u8(frame.description ? (frame.description.error ? 2 : 1) : 0);
      w.str32(frame.description?.message ?? "");
      break;
    case FrameType.UPGRADE:
      w.str8(frame.transport);
      w.u8(frame.done ? 1 : 0);
      break;
    case FrameType.DISCONNECT:
      w.u8(frame.discard ? 1 : 0);
      break;
    case FrameType.REVOKE:
    case FrameType.RELEASE:
      break;
    case FrameType.RELEASED:
      w.u8(frame.released ? 1 : 0);
      break;
    case FrameType.RECEIPT:
      w.u32(frame.epoch);
      w.u32(frame.seq);
      break;
    case FrameType.CLIENT_INFO:
      w.str32(JSON.stringify(frame.info));
      break;
    case FrameType.EPOCH_CHECK:
      w.u32(frame.epoch);
      break;
    case FrameType.EPOCH_STATUS:
      w.u32(frame.epoch);
      w.u8(frame.current ? 1 : 0);
      break;
    case FrameType.PRESENCE_SEEN:
      w.u32(frame.seq);
      break;
    case FrameType.ROOMS:
      w.str32(frame.nsp);
      w.str32(frame.sid);
      w.u8(frame.op);
      w.list(frame.rooms);
      break;
    case FrameType.BROADCAST:
      w.str32(frame.nsp);
      w.list(frame.rooms);
      w.list(frame.except);
      w.u8(frame.flags);
      w.str8(frame.offset ?? "");
      w.u32(frame.data.length);
      for (const data of frame.data) w.payload(data, 0);
      break;
    default:
      throw new CodecError(`cannot encode frame type ${(frame as { type: unknown }).type}`);
  }
}

function readFrame(r: Reader): Frame {
  const type = r.u8();
  const connId = r.str8();
  switch (type) {
    case FrameType.OPEN:
      return { type, connId, handshake: parseHandshake(r.str32()) };
    case FrameType.DATA: {
      const { data } = r.payload();
      return { type, connId, data };
    }
    case FrameType.WRITE: {
      const { data, flags } = r.payload();
      return {
        type,
        connId,
        data,
        compress: (flags & FLAG_COMPRESS) !== 0,
        volatile: (flags & FLAG_VOLATILE) !== 0,
      };
    }
    case FrameType.CLOSE: {
      const reason = r.str32();
      const kind = r.u8();
      const message = r.str32();
      return kind === 0 ? { type, connId, reason } : { type, connId, reason, description: { message, error: kind === 2 } };
    }
    case FrameType.UPGRADE:
      return { type, connId, transport: r.str8(), done: r.u8() === 1 };
    case FrameType.DISCONNECT:
      return { type, connId, discard: r.u8() === 1 };
    case FrameType.REVOKE:
    case FrameType.RELEASE:
      return { type, connId };
    case FrameType.RELEASED:
      return { type, connId, released: r.u8() === 1 };
    case FrameType.RECEIPT:
      return { type, epoch: r.u32(), seq: r.u32() };
    case FrameType.CLIENT_INFO:
      return { type, connId, info: parseInfo(r.str32()) };
    case FrameType.EPOCH_CHECK:
      return { type, epoch: r.u32() };
    case FrameType.EPOCH_STATUS:
      return { type, epoch: r.u32(), current: r.u8() === 1 };
    case FrameType.PRESENCE_SEEN:
      return { type, seq: r.u32() };
    case FrameType.ROOMS: {
      const nsp = r.str32();
      const sid = r.str32();
      const op = r.u8();
      if (op !== RoomOp.JOIN && op !== RoomOp.LEAVE && op !== RoomOp.LEAVE_ALL) throw new CodecError(`unknown room operation ${op}`);
      return { type, connId, nsp, sid, op, rooms: r.list() };
    }
    case FrameType.BROADCAST: {
      const nsp = r.str32();
      const rooms = r.list();
      const except = r.list();
      const flags = r.u8();
      const offset = r.str8();
      const count = r.u32();
      const data: Payload[] = [];
      for (let i = 0; i < count; i++) data.push(r.payload().data);
      return offset ? { type, nsp, rooms, except, flags, offset, data } : { type, nsp, rooms, except, flags, data };
    }
    default:
      throw new CodecError(`unknown frame type ${type}`);
  }
}

function parseInfo(json: string): Record<string, unknown> {
  try {
    const v = JSON.parse(json) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new CodecError("client info is not a JSON object");
}

function parseHandshake(json: string): Handshake {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new CodecError("handshake is not JSON");
  }
  const h = value as Handshake;
  if (
    !h ||
    typeof h !== "object" ||
    typeof h.url !== "string" ||
    typeof h.headers !== "object" ||
    typeof h.query !== "object" ||
    typeof h.protocol !== "number"
  ) {
    throw new CodecError("handshake lacks url, headers, query or protocol");
  }
  if (h.rawHeadersText !== undefined && typeof h.rawHeadersText !== "string") throw new CodecError("handshake raw headers are not text");
  return h;
}

/** The handshake as it crosses the relay: raw header lines as one string when they allow it. */
function compactHandshake(h: Handshake): Handshake {
  const raw = h.rawHeaders;
  if (!raw || raw.some((line) => line.includes("\n"))) return h;
  const { rawHeaders: _lines, ...rest } = h;
  return { ...rest, rawHeadersText: raw.join("\n") };
}

function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new CodecError(`cannot relay a payload of type ${Object.prototype.toString.call(data)}`);
}

class Writer {
  private buf = Buffer.allocUnsafe(256);
  private pos = 0;

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.reserve(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    this.reserve(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  str8(s: string): void {
    const len = Buffer.byteLength(s);
    if (len > 255) throw new CodecError(`short string longer than 255 bytes: ${s.slice(0, 40)}…`);
    this.u8(len);
    this.reserve(len);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  str32(s: string): void {
    const len = Buffer.byteLength(s);
    this.u32(len);
    this.reserve(len);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  list(items: string[]): void {
    this.u32(items.length);
    for (const item of items) this.str32(String(item));
  }

  payload(data: Payload, flags: number): void {
    if (typeof data === "string") {
      this.u8(flags);
      this.str32(data);
    } else {
      // applications hand Socket.IO any binary type: Buffer, ArrayBuffer or a typed-array view
      const bytes = toBuffer(data);
      this.u8(flags | FLAG_BINARY);
      this.u32(bytes.length);
      this.reserve(bytes.length);
      bytes.copy(this.buf, this.pos);
      this.pos += bytes.length;
    }
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

class Reader {
  offset = 0;
  constructor(private readonly buf: Buffer) {}

  private need(n: number): void {
    if (this.offset + n > this.buf.length) {
      throw new CodecError(`truncated batch (need ${n} bytes at ${this.offset}, have ${this.buf.length - this.offset})`);
    }
  }

  done(): boolean {
    return this.offset === this.buf.length;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  private bytes(len: number): Buffer {
    this.need(len);
    const out = this.buf.subarray(this.offset, this.offset + len);
    this.offset += len;
    return out;
  }

  str8(): string {
    return this.bytes(this.u8()).toString("utf8");
  }

  str32(): string {
    return this.bytes(this.u32()).toString("utf8");
  }

  list(): string[] {
    const count = this.u32();
    // each entry takes at least its 4-byte length: a forged count cannot make us allocate much
    this.need(count * 4);
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push(this.str32());
    return out;
  }

  payload(): { data: Payload; flags: number } {
    const flags = this.u8();
    const len = this.u32();
    const raw = this.bytes(len);
    if (!(flags & FLAG_BINARY)) return { flags, data: raw.toString("utf8") };
    // transports hand over fresh buffers, so a large payload is a view into the batch; a small one
    // is copied, so that it alone does not keep a large batch alive
    return { flags, data: len * 4 >= this.buf.length ? raw : Buffer.from(raw) };
  }
}
