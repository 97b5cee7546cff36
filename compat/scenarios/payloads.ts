import { createHash } from "crypto";
import type { Socket as ClientSocket } from "socket.io-client";
import { scenarios } from "../scenario";
import { waitFor } from "../../test/helpers/wait";

/** A payload described by size and digest, so that large ones stay readable in the report. */
function digest(value: unknown): unknown {
  if (typeof value === "string") return { string: value.length, sha1: createHash("sha1").update(value, "utf16le").digest("hex") };
  if (Buffer.isBuffer(value)) return { buffer: value.length, sha1: createHash("sha1").update(value).digest("hex") };
  if (Array.isArray(value)) return value.map(digest);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, digest(v)]));
  return value;
}

/** UTF-16 code units in hex: what a string really is, lone surrogates included. */
function units(s: string): string {
  return Array.from({ length: s.length }, (_, i) => s.charCodeAt(i).toString(16).padStart(4, "0")).join(" ");
}

const BIG = 500_000;
const bigString = () => Array.from({ length: BIG }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
const bigBuffer = () => Buffer.from(Array.from({ length: BIG }, (_, i) => (i * 31) % 256));

const UTF8 = {
  emoji: "😀👍🏽👨‍👩‍👧‍👦🏳️‍🌈",
  cjk: "漢字かなカナ한국어",
  rtl: "שלום مرحبا",
  combining: "e\u0301 n\u0303 Å",
  zeroWidth: "a\u200bb\u200dc\ufeffd",
  controls: "nul\u0000 tab\t nl\n cr\r del\u007f",
  astral: "𝄞 𐍈 🀄",
  json: "\"quotes\" \\backslash\\ </script> \u2028\u2029",
  loneHigh: "x\ud800y",
  loneLow: "x\udfffy",
  reversedPair: "\udc00\ud800",
  placeholderLike: '{"_placeholder":true,"num":0}',
};

export default scenarios("payloads", [
  {
    name: "large payloads (500 KB string, 500 KB Buffer) both ways, with acks",
    timeout: 30_000,
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("big", (s: string, b: Buffer, ack: (...a: unknown[]) => void) => ack(digest(s), digest(b)));
        socket.on("send-big", (ack: (...a: unknown[]) => void) => {
          socket.emit("big-string", bigString());
          socket.emit("big-buffer", bigBuffer());
          ack(bigString(), bigBuffer());
        });
      });
    },
    async run(ctx) {
      const out: Record<string, unknown> = {};
      for (const transports of [["polling"], ["websocket"]]) {
        const c = await ctx.connect("/", { transports });
        const serverSaw = await new Promise((resolve) => c.emit("big", bigString(), bigBuffer(), (...a: unknown[]) => resolve(a)));
        const got: unknown[] = [];
        c.on("big-string", (s: string) => got.push(digest(s)));
        c.on("big-buffer", (b: Buffer) => got.push(digest(b)));
        const ack = await new Promise((resolve) => c.emit("send-big", (...a: unknown[]) => resolve(digest(a))));
        out[transports[0]] = { serverSaw, clientGot: got, ack, expected: [digest(bigString()), digest(bigBuffer())] };
        c.disconnect();
      }
      return out;
    },
  },
  {
    name: "a message above maxHttpBufferSize closes that connection only (websocket)",
    serverOptions: { maxHttpBufferSize: 10_000 },
    setup(io, shared) {
      io.on("connection", (socket) => {
        const name = socket.handshake.auth.name;
        socket.on("msg", (s: string, ack: (n: number) => void) => ack(s.length));
        socket.on("disconnect", (reason) => (shared[`server:${name}`] = reason));
      });
    },
    async run(ctx) {
      const a = await ctx.connect("/", { auth: { name: "a" }, transports: ["websocket"] });
      const b = await ctx.connect("/", { auth: { name: "b" }, transports: ["websocket"] });
      const underLimit = await a.emitWithAck("msg", "x".repeat(9_000));
      const closed = new Promise((r) => a.once("disconnect", (reason) => r(reason)));
      a.emit("msg", "y".repeat(20_000));
      const clientReason = await closed;
      const serverReason = await waitFor(() => ctx.shared["server:a"]);
      const otherStillWorks = await b.emitWithAck("msg", "z".repeat(100));
      return { underLimit, clientReason, serverReason, otherStillWorks, otherConnected: b.connected, bServerReason: ctx.shared["server:b"] ?? null };
    },
  },
  {
    name: "a message above maxHttpBufferSize closes that connection only (polling)",
    serverOptions: { maxHttpBufferSize: 10_000 },
    setup(io, shared) {
      io.on("connection", (socket) => {
        const name = socket.handshake.auth.name;
        socket.on("msg", (s: string, ack: (n: number) => void) => ack(s.length));
        socket.on("disconnect", (reason) => (shared[`server:${name}`] = reason));
      });
    },
    async run(ctx) {
      const a = await ctx.connect("/", { auth: { name: "a" }, transports: ["polling"] });
      const b = await ctx.connect("/", { auth: { name: "b" }, transports: ["polling"] });
      const underLimit = await a.emitWithAck("msg", "x".repeat(9_000));
      const closed = new Promise((r) => a.once("disconnect", (reason) => r(reason)));
      a.emit("msg", "y".repeat(20_000));
      const clientReason = await closed;
      const serverReason = await waitFor(() => ctx.shared["server:a"]);
      const otherStillWorks = await b.emitWithAck("msg", "z".repeat(100));
      return { underLimit, clientReason, serverReason, otherStillWorks, otherConnected: b.connected, bServerReason: ctx.shared["server:b"] ?? null };
    },
  },
  {
    name: "a binary message above maxHttpBufferSize closes the connection (websocket)",
    serverOptions: { maxHttpBufferSize: 10_000 },
    setup(io, shared) {
      io.on("connection", (socket) => {
        socket.on("bin", (b: Buffer, ack: (n: number) => void) => ack(b.length));
        socket.on("disconnect", (reason) => (shared.serverReason = reason));
      });
    },
    async run(ctx) {
      const a = await ctx.connect("/", { transports: ["websocket"] });
      const underLimit = await a.emitWithAck("bin", Buffer.alloc(9_000, 1));
      const closed = new Promise((r) => a.once("disconnect", (reason) => r(reason)));
      a.emit("bin", Buffer.alloc(20_000, 2));
      const clientReason = await closed;
      return { underLimit, clientReason, serverReason: await waitFor(() => ctx.shared.serverReason) };
    },
  },
  {
    name: "server messages above maxHttpBufferSize are still delivered (the limit is on what clients send)",
    serverOptions: { maxHttpBufferSize: 10_000 },
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("send", (ack: (v: unknown) => void) => {
          socket.emit("big", "w".repeat(50_000), Buffer.alloc(50_000, 3));
          ack("sent");
        });
      });
    },
    async run(ctx) {
      const out: Record<string, unknown> = {};
      for (const transports of [["polling"], ["websocket"]]) {
        const c = await ctx.connect("/", { transports });
        const big = new Promise((r) => c.on("big", (...a: unknown[]) => r(digest(a))));
        const ack = await c.emitWithAck("send");
        out[transports[0]] = { ack, big: await big, connected: c.connected };
        c.disconnect();
      }
      return out;
    },
  },
  {
    name: "UTF-8 round trips: emoji, CJK, RTL, controls, lone surrogates",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("text", (value: Record<string, string>, ack: (...a: unknown[]) => void) => {
          const serverSaw = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, units(v)]));
          socket.emit("text-back", value);
          ack(serverSaw, value);
        });
        socket.on("ünïcödé-ëvent 🎉", (ack: (v: string) => void) => ack("unicode event name ok"));
        socket.on("join", (room: string, ack: () => void) => {
          socket.join(room);
          ack();
        });
        socket.on("to-room", (room: string, ack: () => void) => {
          io.to(room).emit("in-room", room);
          ack();
        });
      });
    },
    async run(ctx) {
      const out: Record<string, unknown> = {};
      for (const transports of [["polling"], ["websocket"]]) {
        const c = await ctx.connect("/", { transports });
        const back = new Promise<Record<string, string>>((r) => c.on("text-back", r));
        const [serverSaw, acked] = await new Promise<[Record<string, string>, Record<string, string>]>((resolve) =>
          c.emit("text", UTF8, (...a: [Record<string, string>, Record<string, string>]) => resolve(a)),
        );
        const echoed = await back;
        const sameAsSent = (v: Record<string, string>) => Object.keys(UTF8).filter((k) => v[k] !== UTF8[k as keyof typeof UTF8]);
        const room = "房间 🚪";
        await c.emitWithAck("join", room);
        const inRoom = new Promise((r) => c.on("in-room", r));
        await c.emitWithAck("to-room", room);
        out[transports[0]] = {
          serverSaw,
          ackDiffers: sameAsSent(acked),
          ackUnits: Object.fromEntries(Object.entries(acked).map(([k, v]) => [k, units(v)])),
          echoDiffers: sameAsSent(echoed),
          eventName: await c.emitWithAck("ünïcödé-ëvent 🎉"),
          room: await inRoom,
        };
        c.disconnect();
      }
      return out;
    },
  },
  {
    name: "UTF-8 in the handshake: query and auth",
    setup(io) {
      io.on("connection", (socket) => {
        socket.emit("handshake", {
          q: socket.handshake.query.q,
          qUnits: units(String(socket.handshake.query.q)),
          auth: socket.handshake.auth,
          authUnits: units(String(socket.handshake.auth.text)),
        });
      });
    },
    async run(ctx) {
      const c = ctx.client("/", { query: { q: "查询 ✓ é" }, auth: { text: "认证 😀 \ud800 é" } });
      return new Promise((r) => c.on("handshake", r));
    },
  },
  {
    name: "a burst of many small messages keeps its order, both ways",
    timeout: 30_000,
    setup(io) {
      io.on("connection", (socket) => {
        let expected = 0;
        let outOfOrder = 0;
        socket.on("n", (i: number) => {
          if (i !== expected) outOfOrder++;
          expected = i + 1;
        });
        socket.on("count", (ack: (v: unknown) => void) => ack({ received: expected, outOfOrder }));
        socket.on("burst", (n: number) => {
          for (let i = 0; i < n; i++) socket.emit("m", i, i % 7 === 0 ? { i } : `s${i}`);
          socket.emit("burst-end");
        });
      });
    },
    async run(ctx) {
      const N = 2_000;
      const out: Record<string, unknown> = {};
      for (const transports of [["polling"], ["websocket"]]) {
        const c: ClientSocket = await ctx.connect("/", { transports });
        for (let i = 0; i < N; i++) c.emit("n", i);
        const toServer = await c.emitWithAck("count");
        let expected = 0;
        let outOfOrder = 0;
        c.on("m", (i: number, payload: unknown) => {
          const ok = i === expected && (i % 7 === 0 ? (payload as { i: number }).i === i : payload === `s${i}`);
          if (!ok) outOfOrder++;
          expected = i + 1;
        });
        const end = new Promise((r) => c.on("burst-end", r));
        c.emit("burst", N);
        await end;
        out[transports[0]] = { toServer, toClient: { received: expected, outOfOrder } };
        c.disconnect();
      }
      return out;
    },
  },
]);
