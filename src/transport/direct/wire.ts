/**
 * The wire format of a direct link: length-prefixed binary frames over one TCP connection.
 *
 *   frame   = u32 length (of type + body) | u8 type | body
 *   HELLO   = secret (32) | from (8) | epoch (4) | target node id (utf-8)      sender -> receiver
 *   WELCOME = last seq the receiver delivered for (from, epoch) (6)            receiver -> sender
 *   DATA    = seq (6) | payload                                                sender -> receiver
 *   RECEIPT = every seq up to this one was delivered (6)                       receiver -> sender
 *
 * `from` and `epoch` are said once in the hello, so a DATA frame costs 11 bytes of header. A stream
 * entry written on behalf of a link carries the same (from, epoch, seq) as `STREAM_HEADER_BYTES`.
 */

export const FrameType = { HELLO: 1, WELCOME: 2, DATA: 3, RECEIPT: 4 } as const;

/** Bytes of the cluster secret (stored hex-encoded in Redis). */
export const SECRET_BYTES = 32;
/** Bytes of a sender id: random per transport instance. */
export const FROM_BYTES = 8;
/** Sequence numbers are 48-bit: years of batches at any realistic rate, exact in a JS number. */
const SEQ_BYTES = 6;
/** A DATA body starts with its seq; the payload is the rest. */
export const DATA_SEQ_BYTES = SEQ_BYTES;
const LENGTH_BYTES = 4;

/** Header of a DATA frame: length, type, seq. */
export const DATA_HEADER_BYTES = LENGTH_BYTES + 1 + SEQ_BYTES;
/** from | epoch | seq, stored next to the payload in a stream entry. */
export const STREAM_HEADER_BYTES = FROM_BYTES + 4 + SEQ_BYTES;

/** The largest frame a link takes once the peer has said hello: the stream would not take more. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;
/** Before the hello, a peer is a stranger: it may not make us hold more than this. */
export const MAX_HELLO_BYTES = 4096;
/** Frames towards a sender are receipts and welcomes only. */
export const MAX_REPLY_BYTES = 64;

export interface Hello {
  secret: Buffer;
  from: Buffer;
  epoch: number;
  target: string;
}

export function encodeHello(h: Hello): Buffer {
  const target = Buffer.from(h.target, "utf8");
  const body = 1 + SECRET_BYTES + FROM_BYTES + 4 + target.length;
  const out = Buffer.allocUnsafe(LENGTH_BYTES + body);
  out.writeUInt32BE(body, 0);
  out[4] = FrameType.HELLO;
  h.secret.copy(out, 5, 0, SECRET_BYTES);
  h.from.copy(out, 5 + SECRET_BYTES, 0, FROM_BYTES);
  out.writeUInt32BE(h.epoch >>> 0, 5 + SECRET_BYTES + FROM_BYTES);
  target.copy(out, 5 + SECRET_BYTES + FROM_BYTES + 4);
  return out;
}

/** The hello in a HELLO frame's body (type byte excluded), or null when it cannot be one. */
export function decodeHello(body: Buffer): Hello | null {
  const fixed = SECRET_BYTES + FROM_BYTES + 4;
  if (body.length <= fixed || body.length > fixed + 256) return null;
  return {
    secret: body.subarray(0, SECRET_BYTES),
    from: body.subarray(SECRET_BYTES, SECRET_BYTES + FROM_BYTES),
    epoch: body.readUInt32BE(SECRET_BYTES + FROM_BYTES),
    target: body.toString("utf8", fixed),
  };
}

/** A frame whose whole body is one seq: WELCOME and RECEIPT. */
export function encodeSeqFrame(type: number, seq: number): Buffer {
  const out = Buffer.allocUnsafe(LENGTH_BYTES + 1 + SEQ_BYTES);
  out.writeUInt32BE(1 + SEQ_BYTES, 0);
  out[4] = type;
  out.writeUIntBE(seq, 5, SEQ_BYTES);
  return out;
}

/** The seq of a WELCOME or RECEIPT body, or -1 when the body is not one. */
export function decodeSeqBody(body: Buffer): number {
  return body.length === SEQ_BYTES ? body.readUIntBE(0, SEQ_BYTES) : -1;
}

/** The header written before a payload of `payloadLength` bytes; the payload follows as is. */
export function encodeDataHeader(seq: number, payloadLength: number): Buffer {
  const out = Buffer.allocUnsafe(DATA_HEADER_BYTES);
  out.writeUInt32BE(1 + SEQ_BYTES + payloadLength, 0);
  out[4] = FrameType.DATA;
  out.writeUIntBE(seq, 5, SEQ_BYTES);
  return out;
}

export interface StreamHeader {
  /** Hex of the sender id. */
  from: string;
  epoch: number;
  seq: number;
}

export function encodeStreamHeader(from: Buffer, epoch: number, seq: number): Buffer {
  const out = Buffer.allocUnsafe(STREAM_HEADER_BYTES);
  from.copy(out, 0, 0, FROM_BYTES);
  out.writeUInt32BE(epoch >>> 0, FROM_BYTES);
  out.writeUIntBE(seq, FROM_BYTES + 4, SEQ_BYTES);
  return out;
}

/** Anyone can write to a stream: a header of the wrong size is not one (null). */
export function decodeStreamHeader(buf: Buffer): StreamHeader | null {
  if (buf.length !== STREAM_HEADER_BYTES) return null;
  return {
    from: buf.toString("hex", 0, FROM_BYTES),
    epoch: buf.readUInt32BE(FROM_BYTES),
    seq: buf.readUIntBE(FROM_BYTES + 4, SEQ_BYTES),
  };
}

/**
 * Cuts a byte stream into frames. Chunks are kept as they arrive; a frame inside one chunk is
 * handed out as a view of it, and only a frame that spans chunks is copied (once) into one buffer.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  /** Read position in `chunks[0]`: frames are consumed without re-slicing the chunk. */
  private pos = 0;
  private buffered = 0;

  /** @param maxFrame the largest frame accepted; it may be raised later (after a hello). */
  constructor(public maxFrame: number) {}

  /**
   * Adds a chunk and calls `onFrame(type, body)` for each complete frame, in order. Returns an
   * error message (and stops) on a frame over the limit or empty; the caller closes the connection.
   * `onFrame` returning false stops reading too (the connection is being closed).
   */
  push(chunk: Buffer, onFrame: (type: number, body: Buffer) => boolean): string | null {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= LENGTH_BYTES) {
      const length = this.peekLength();
      if (length === 0 || length > this.maxFrame) return `frame of ${length} bytes (limit ${this.maxFrame})`;
      const size = LENGTH_BYTES + length;
      if (this.buffered < size) return null;
      const first = this.chunks[0];
      let type: number;
      let body: Buffer;
      if (first.length - this.pos >= size) {
        // the common case: the whole frame inside the first chunk, handed out as a view
        type = first[this.pos + LENGTH_BYTES];
        body = first.subarray(this.pos + LENGTH_BYTES + 1, this.pos + size);
        this.pos += size;
        this.buffered -= size;
        if (this.pos === first.length) this.shift();
      } else {
        const frame = this.copyOut(size);
        type = frame[LENGTH_BYTES];
        body = frame.subarray(LENGTH_BYTES + 1);
      }
      if (!onFrame(type, body)) return null;
    }
    return null;
  }

  private shift(): void {
    this.chunks.shift();
    this.pos = 0;
  }

  private peekLength(): number {
    const first = this.chunks[0];
    if (first.length - this.pos >= LENGTH_BYTES) return first.readUInt32BE(this.pos);
    const head = Buffer.allocUnsafe(LENGTH_BYTES);
    let filled = 0;
    let from = this.pos;
    for (const c of this.chunks) {
      filled += c.copy(head, filled, from, Math.min(c.length, from + LENGTH_BYTES - filled));
      from = 0;
      if (filled === LENGTH_BYTES) break;
    }
    return head.readUInt32BE(0);
  }

  /** Removes the first `n` bytes (n <= buffered), which span chunks, into one new buffer. */
  private copyOut(n: number): Buffer {
    this.buffered -= n;
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const used = Math.min(c.length - this.pos, n - filled);
      c.copy(out, filled, this.pos, this.pos + used);
      filled += used;
      this.pos += used;
      if (this.pos === c.length) this.shift();
    }
    return out;
  }
}
