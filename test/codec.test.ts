import { expect } from "chai";
import { Encoder, PacketType } from "socket.io-parser";
import { CodecError, decodeBatch, encodeBatch } from "../src/protocol/codec";
import { Batch, Frame, FrameType, Handshake, PROTOCOL_VERSION, RoomOp } from "../src/protocol/frame";
import { RelayedRequest } from "../src/app-node/relay-connection";
import {
  connectPacket,
  packetJsonBody,
  packetNamespace,
  packetType,
  SioType,
  trailingOffset,
} from "../src/protocol/socketio-peek";

const handshake: Handshake = {
  protocol: 4,
  headers: { host: "localhost:3000", "x-name": "Zoë ✓ 日本", cookie: ["a=1", "b=2"] },
  url: "/socket.io/?EIO=4&transport=polling&q=%C3%A9",
  query: { EIO: "4", transport: "polling", q: "é" },
  remoteAddress: "::ffff:127.0.0.1",
  secure: false,
  transport: "polling",
};

function batch(frames: Frame[], from = "io-0123456789abcdef", seq = 1, epoch = 0xdead_beef): Batch {
  return { version: PROTOCOL_VERSION, from, epoch, seq, frames };
}

function roundTrip(b: Batch): Batch {
  return decodeBatch(encodeBatch(b));
}

const everyFrame: Frame[] = [
  { type: FrameType.OPEN, connId: "conn-1", handshake },
  { type: FrameType.OPEN, connId: "conn-2", handshake: { ...handshake, rehomed: true, transport: "websocket", secure: true } },
  { type: FrameType.DATA, connId: "conn-1", data: '2["chat","héllo 👋 世界"]' },
  { type: FrameType.DATA, connId: "conn-1", data: "" },
  { type: FrameType.DATA, connId: "conn-1", data: Buffer.from([0, 1, 2, 255, 254, 0]) },
  { type: FrameType.DATA, connId: "conn-1", data: Buffer.alloc(0) },
  { type: FrameType.CLOSE, connId: "conn-1", reason: "transport close", description: { message: "socket hang up ✗", error: false } },
  { type: FrameType.CLOSE, connId: "conn-1", reason: "transport error", description: { message: "invalid heartbeat direction", error: true } },
  { type: FrameType.CLOSE, connId: "conn-2", reason: "ping timeout" },
  { type: FrameType.UPGRADE, connId: "conn-1", transport: "websocket", done: true },
  { type: FrameType.UPGRADE, connId: "conn-2", transport: "websocket", done: false },
  { type: FrameType.WRITE, connId: "conn-1", data: '2["ünïcödé"]', compress: true, volatile: false },
  { type: FrameType.WRITE, connId: "conn-1", data: '2["x"]', compress: false, volatile: true },
  { type: FrameType.WRITE, connId: "conn-1", data: Buffer.from("binary\u0000attachment"), compress: false, volatile: false },
  { type: FrameType.WRITE, connId: "conn-1", data: Buffer.from([7]), compress: true, volatile: true },
  { type: FrameType.DISCONNECT, connId: "conn-1", discard: false },
  { type: FrameType.DISCONNECT, connId: "conn-2", discard: true },
  { type: FrameType.CLIENT_INFO, connId: "conn-1", info: { userId: 7, nick: "ünï" } },
  { type: FrameType.REVOKE, connId: "conn-2" },
  { type: FrameType.RELEASE, connId: "conn-1" },
  { type: FrameType.RELEASED, connId: "conn-1", released: true },
  { type: FrameType.RELEASED, connId: "conn-2", released: false },
  { type: FrameType.RECEIPT, epoch: 1, seq: 4_294_967_295 },
  { type: FrameType.EPOCH_CHECK, epoch: 4_294_967_295 },
  { type: FrameType.EPOCH_STATUS, epoch: 7, current: true },
  { type: FrameType.EPOCH_STATUS, epoch: 8, current: false },
  { type: FrameType.PRESENCE_SEEN, seq: 4294967295 },
  { type: FrameType.ROOMS, connId: "conn-1", nsp: "/chat", sid: "s1", op: RoomOp.JOIN, rooms: ["lobby", "ünï"] },
  { type: FrameType.ROOMS, connId: "conn-1", nsp: "/", sid: "s1", op: RoomOp.LEAVE_ALL, rooms: [] },
  { type: FrameType.BROADCAST, nsp: "/", rooms: [], except: [], flags: 0, data: ['2["news"]'] },
  {
    type: FrameType.BROADCAST,
    nsp: "/chat",
    rooms: ["a", "b"],
    except: ["c"],
    flags: 3,
    offset: "1733100000000-7",
    data: ['51-/chat,["file",{"_placeholder":true,"num":0},"1733100000000-7"]', Buffer.from([1, 2, 3])],
  },
];

describe("codec: relay batches", () => {
  for (const frame of everyFrame) {
    const label = `${FrameType[frame.type]} ${JSON.stringify(frame, (_k, v) => (v?.type === "Buffer" ? "<buffer>" : v)).slice(0, 90)}`;
    it(`round-trips a ${label}`, () => {
      const decoded = roundTrip(batch([frame]));
      expect(decoded.frames).to.have.length(1);
      expect(decoded.frames[0]).to.deep.equal(frame);
    });
  }

  it("round-trips a batch of every frame type at once, keeping their order", () => {
    const b = batch(everyFrame, "app-ünï", 123_456);
    const decoded = roundTrip(b);
    expect(decoded).to.deep.equal(b);
  });

  it("keeps the sender, link epoch, sequence number and version", () => {
    const decoded = roundTrip(batch([], "io-node-✓", 4_294_967_295, 4_294_967_294));
    expect(decoded).to.deep.equal({ version: PROTOCOL_VERSION, from: "io-node-✓", epoch: 4_294_967_294, seq: 4_294_967_295, frames: [] });
  });

  it("round-trips large payloads (1 MiB of text and of binary)", () => {
    const text = "é".repeat(512 * 1024);
    const bin = Buffer.alloc(1024 * 1024, 0xab);
    const decoded = roundTrip(
      batch([
        { type: FrameType.DATA, connId: "c", data: text },
        { type: FrameType.WRITE, connId: "c", data: bin, compress: true, volatile: false },
      ]),
    );
    expect(decoded.frames[0]).to.deep.equal({ type: FrameType.DATA, connId: "c", data: text });
    expect(Buffer.compare((decoded.frames[1] as { data: Buffer }).data, bin)).to.equal(0);
  });

  it("keeps strings and buffers apart (a string of bytes is not a buffer)", () => {
    const decoded = roundTrip(
      batch([
        { type: FrameType.DATA, connId: "c", data: "abc" },
        { type: FrameType.DATA, connId: "c", data: Buffer.from("abc") },
      ]),
    );
    expect((decoded.frames[0] as { data: unknown }).data).to.be.a("string");
    expect(Buffer.isBuffer((decoded.frames[1] as { data: unknown }).data)).to.equal(true);
  });

  it("raw header lines cross as one string, and read back as the same lines", () => {
    const rawHeaders = ["Host", "localhost:3000", "X-Twice", "a", "x-twice", "b", "Empty", ""];
    const handshake = { protocol: 4, headers: { host: "localhost:3000" }, url: "/socket.io/?EIO=4", query: {}, remoteAddress: "::1", secure: false, transport: "websocket", rawHeaders };
    const decoded = decodeBatch(encodeBatch(batch([{ type: FrameType.OPEN, connId: "c", handshake }])));
    const open = decoded.frames[0] as { handshake: Handshake };
    expect(open.handshake.rawHeaders).to.equal(undefined);
    expect(open.handshake.rawHeadersText).to.be.a("string");
    expect(new RelayedRequest(open.handshake).rawHeaders).to.deep.equal(rawHeaders);
    expect(new RelayedRequest({ ...handshake, rawHeaders: [] }).rawHeaders).to.deep.equal([]);
  });

  it("small decoded binary payloads do not share memory with the input buffer (a large one may)", () => {
    const encoded = encodeBatch(batch([{ type: FrameType.DATA, connId: "c", data: Buffer.from([1, 2, 3]) }]));
    const decoded = decodeBatch(encoded);
    encoded.fill(0);
    expect([...(decoded.frames[0] as { data: Buffer }).data]).to.deep.equal([1, 2, 3]);
  });

  it("throws CodecError for every truncation of a valid batch", () => {
    const encoded = encodeBatch(batch(everyFrame));
    for (let len = 0; len < encoded.length; len++) {
      expect(() => decodeBatch(encoded.subarray(0, len)), `truncated to ${len} bytes`).to.throw(CodecError);
    }
  });

  it("throws CodecError on trailing bytes", () => {
    const encoded = encodeBatch(batch([{ type: FrameType.DISCONNECT, connId: "c", discard: false }]));
    expect(() => decodeBatch(Buffer.concat([encoded, Buffer.from([0])]))).to.throw(CodecError, /trailing/);
  });

  it("throws CodecError on another protocol version", () => {
    const encoded = Buffer.from(encodeBatch(batch([])));
    encoded[0] = PROTOCOL_VERSION + 1;
    expect(() => decodeBatch(encoded)).to.throw(CodecError, /version/);
  });

  it("throws CodecError on an unknown frame type", () => {
    const encoded = Buffer.from(encodeBatch(batch([{ type: FrameType.DISCONNECT, connId: "c", discard: false }])));
    // version(1) + str8 from + epoch(4) + seq(4) + count(4) then the frame type
    const typeOffset = 1 + 1 + Buffer.byteLength("io-0123456789abcdef") + 4 + 4 + 4;
    expect(encoded[typeOffset]).to.equal(FrameType.DISCONNECT);
    encoded[typeOffset] = 99;
    expect(() => decodeBatch(encoded)).to.throw(CodecError, /unknown frame type 99/);
  });

  it("throws CodecError when a handshake is not JSON or lacks its fields", () => {
    const good = encodeBatch(batch([{ type: FrameType.OPEN, connId: "c", handshake }]));
    const json = JSON.stringify(handshake);
    const start = good.indexOf(Buffer.from(json));
    expect(start).to.be.greaterThan(0);
    const replace = (text: string) => {
      const body = Buffer.from(text);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(body.length);
      return Buffer.concat([good.subarray(0, start - 4), len, body]);
    };
    expect(() => decodeBatch(replace("{not json"))).to.throw(CodecError, /not JSON/);
    expect(() => decodeBatch(replace("null"))).to.throw(CodecError, /lacks/);
    expect(() => decodeBatch(replace('{"url":"/","headers":{},"query":{}}'))).to.throw(CodecError, /lacks/);
    expect(() => decodeBatch(replace('{"url":1,"headers":{},"query":{},"protocol":4}'))).to.throw(CodecError, /lacks/);
    expect(decodeBatch(replace('{"url":"/","headers":{},"query":{},"protocol":4}')).frames[0]).to.include({
      type: FrameType.OPEN,
    });
  });

  it("throws CodecError on garbage of any length, never another error", () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >>> 16) & 0xff;
    for (let n = 0; n < 300; n++) {
      const garbage = Buffer.from(Array.from({ length: n % 64 }, rand));
      // a valid version byte makes the decoder go further than the first byte
      if (n % 2 === 0 && garbage.length > 0) garbage[0] = PROTOCOL_VERSION;
      try {
        decodeBatch(garbage);
      } catch (err) {
        expect(err, `garbage #${n}`).to.be.instanceOf(CodecError);
        continue;
      }
    }
    expect(() => decodeBatch(Buffer.from("hello, world"))).to.throw(CodecError);
    expect(() => decodeBatch(Buffer.alloc(0))).to.throw(CodecError);
  });

  it("a huge frame count on a short buffer throws CodecError instead of allocating", () => {
    const encoded = Buffer.from(encodeBatch(batch([])));
    encoded.writeUInt32BE(0xffffffff, encoded.length - 4);
    expect(() => decodeBatch(encoded)).to.throw(CodecError, /truncated/);
  });

  it("refuses to encode an id longer than 255 bytes or an unknown frame type", () => {
    expect(() => encodeBatch(batch([{ type: FrameType.DISCONNECT, connId: "x".repeat(256), discard: false }]))).to.throw(CodecError);
    expect(() => encodeBatch(batch([], "é".repeat(128)))).to.throw(CodecError);
    expect(() => encodeBatch(batch([{ type: 42 } as unknown as Frame]))).to.throw(CodecError, /cannot encode/);
  });

  it("CodecError is an Error with its own name", () => {
    const err = new CodecError("boom");
    expect(err).to.be.instanceOf(Error);
    expect(err.name).to.equal("CodecError");
    expect(err.message).to.contain("boom");
  });
});

describe("codec: Socket.IO packet peeking", () => {
  const encoder = new Encoder();
  const encode = (packet: object): string => {
    const out = encoder.encode(packet as never);
    return out[0] as string;
  };

  it("packetType gives the char code of the type, -1 for binary attachments and empty strings", () => {
    expect(packetType('2["a"]')).to.equal(SioType.EVENT);
    expect(packetType("0")).to.equal(SioType.CONNECT);
    expect(packetType("1/chat,")).to.equal(SioType.DISCONNECT);
    expect(packetType('4{"message":"x"}')).to.equal(SioType.CONNECT_ERROR);
    expect(packetType('51-["a",{"_placeholder":true,"num":0}]')).to.equal(SioType.BINARY_EVENT);
    expect(packetType(Buffer.from("2"))).to.equal(-1);
    expect(packetType("")).to.equal(-1);
  });

  it("packetNamespace reads the namespace of every packet type socket.io-parser writes", () => {
    const cases: Array<[object, string]> = [
      [{ type: PacketType.CONNECT, nsp: "/" }, "/"],
      [{ type: PacketType.CONNECT, nsp: "/admin", data: { token: "x" } }, "/admin"],
      [{ type: PacketType.CONNECT, nsp: "/admin" }, "/admin"],
      [{ type: PacketType.DISCONNECT, nsp: "/chat" }, "/chat"],
      [{ type: PacketType.EVENT, nsp: "/", data: ["a", 1] }, "/"],
      [{ type: PacketType.EVENT, nsp: "/", data: ["a", "/not-a-namespace,"] }, "/"],
      [{ type: PacketType.EVENT, nsp: "/orders", data: ["a"], id: 12 }, "/orders"],
      [{ type: PacketType.ACK, nsp: "/orders", data: [1], id: 12 }, "/orders"],
      [{ type: PacketType.CONNECT_ERROR, nsp: "/x", data: { message: "no" } }, "/x"],
      [{ type: PacketType.EVENT, nsp: "/", data: ["bin", Buffer.from([1])] }, "/"],
      [{ type: PacketType.EVENT, nsp: "/media", data: ["bin", Buffer.from([1]), Buffer.from([2])], id: 3 }, "/media"],
      [{ type: PacketType.ACK, nsp: "/media", data: [Buffer.from([1])], id: 3 }, "/media"],
      [{ type: PacketType.EVENT, nsp: "/dyn-42", data: ["é"] }, "/dyn-42"],
    ];
    for (const [packet, nsp] of cases) {
      const encoded = encode(packet);
      expect(packetNamespace(encoded), encoded).to.equal(nsp);
    }
  });

  it("packetNamespace of a namespace with no comma after it", () => {
    expect(packetNamespace("0/admin")).to.equal("/admin");
    expect(packetNamespace("51-")).to.equal("/");
    expect(packetNamespace("5")).to.equal("/");
  });

  it("packetJsonBody reads the auth of CONNECT and the error of CONNECT_ERROR", () => {
    expect(packetJsonBody(encode({ type: PacketType.CONNECT, nsp: "/", data: { token: "é" } }))).to.deep.equal({ token: "é" });
    expect(packetJsonBody(encode({ type: PacketType.CONNECT, nsp: "/admin", data: { a: [1, 2] } }))).to.deep.equal({
      a: [1, 2],
    });
    expect(packetJsonBody(encode({ type: PacketType.CONNECT_ERROR, nsp: "/", data: { message: "nope", data: { code: 1 } } }))).to.deep.equal({
      message: "nope",
      data: { code: 1 },
    });
    expect(packetJsonBody('0{"sid":"abc","pid":"def"}')).to.deep.equal({ sid: "abc", pid: "def" });
  });

  it("packetJsonBody is undefined when there is no body or it is not JSON", () => {
    expect(packetJsonBody("0")).to.equal(undefined);
    expect(packetJsonBody("0/admin,")).to.equal(undefined);
    expect(packetJsonBody("0/admin")).to.equal(undefined);
    expect(packetJsonBody("0{broken")).to.equal(undefined);
    expect(packetJsonBody("0/admin,{broken")).to.equal(undefined);
  });

  it("connectPacket writes what socket.io-client writes", () => {
    for (const [nsp, auth] of [
      ["/", undefined],
      ["/", { token: "abc", n: 1 }],
      ["/admin", undefined],
      ["/admin", { token: "é" }],
    ] as Array<[string, unknown]>) {
      const expected = encode({ type: PacketType.CONNECT, nsp, data: auth });
      expect(connectPacket(nsp, auth)).to.equal(expected);
      expect(packetNamespace(connectPacket(nsp, auth))).to.equal(nsp);
      expect(packetJsonBody(connectPacket(nsp, auth))).to.deep.equal(auth);
    }
  });

  it("trailingOffset finds a recovery offset appended as the last argument", () => {
    expect(trailingOffset('2["ev","data","1700000000000-0"]')).to.equal("1700000000000-0");
    expect(trailingOffset('2/chat,["ev",{"a":1},"1700000000000-17"]')).to.equal("1700000000000-17");
    const long = `2["ev","${"x".repeat(500)}","1700000000001-3"]`;
    expect(trailingOffset(long)).to.equal("1700000000001-3");
  });

  it("trailingOffset is undefined without an offset", () => {
    expect(trailingOffset('2["ev","data"]')).to.equal(undefined);
    expect(trailingOffset('2["ev",1]')).to.equal(undefined);
    expect(trailingOffset('2["ev","12-ab"]')).to.equal(undefined);
    expect(trailingOffset("0")).to.equal(undefined);
    expect(trailingOffset('3["1700000000000-0"] ')).to.equal(undefined);
  });
});
