import type { Socket as ClientSocket } from "socket.io-client";
import type { CompatContext } from "../scenario";
import { scenarios } from "../scenario";

/** Binary values described by their type and content; everything else as is. */
function bin(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return { $type: "ArrayBuffer", hex: Buffer.from(value).toString("hex") };
  if (ArrayBuffer.isView(value)) {
    const type = Buffer.isBuffer(value) ? "Buffer" : value.constructor.name;
    return { $type: type, hex: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex") };
  }
  if (typeof value === "function") return "<ack>";
  if (value === undefined) return "<undefined>";
  if (Array.isArray(value)) return value.map(bin);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bin(v)]));
  return value;
}

const bytes = (...b: number[]) => Buffer.from(b);

/** A binary payload in many shapes. */
function payload() {
  return {
    buffer: bytes(1, 2, 3),
    empty: Buffer.alloc(0),
    uint8: new Uint8Array([250, 251, 252]),
    arrayBuffer: new Uint8Array([7, 8]).buffer,
    nested: { deep: { deeper: [bytes(9), { b: bytes(10, 11) }] } },
    list: [bytes(12), "text", 13, null, bytes(14)],
    all256: Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  };
}

/**
 * The same, with Buffers only: what a server sends as Uint8Array or ArrayBuffer has its own
 * scenario ("typed arrays sent by the server"), which guards against a crash of the process.
 */
function serverPayload() {
  const { uint8, arrayBuffer, ...rest } = payload();
  void uint8;
  void arrayBuffer;
  return rest;
}

/**
 * Runs `fn`, failing it (instead of the whole compat process) when the server code throws an
 * uncaught exception meanwhile: the runner has no such guard.
 */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  let onError!: (err: Error) => void;
  const crashed = new Promise<never>((_, reject) => {
    onError = (err) => reject(new Error(`uncaught exception in server code: ${err.message}`));
    process.on("uncaughtException", onError);
  });
  try {
    return await Promise.race([fn(), crashed]);
  } finally {
    process.off("uncaughtException", onError);
  }
}

async function connectAll(ctx: CompatContext, specs: Array<{ name: string; rooms: string[] }>): Promise<ClientSocket[]> {
  const out: ClientSocket[] = [];
  for (const auth of specs) out.push(await ctx.connect("/", { auth }));
  return out;
}

export default scenarios("binary", [
  {
    name: "client to server: Buffer, Uint8Array, ArrayBuffer, nested, as the server sees them",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("bin", (...args: unknown[]) => {
          const ack = args.pop() as (v: unknown) => void;
          ack(bin(args));
        });
      });
    },
    async run(ctx) {
      const out: Record<string, unknown> = {};
      for (const transports of [["polling"], ["websocket"]]) {
        const c = await ctx.connect("/", { transports });
        const p = payload();
        out[transports[0]] = {
          single: await c.emitWithAck("bin", p.buffer),
          shapes: await c.emitWithAck("bin", p),
          many: await c.emitWithAck("bin", ...Array.from({ length: 20 }, (_, i) => bytes(i))),
        };
        c.disconnect();
      }
      return out;
    },
  },
  {
    name: "server to client: Buffers, nested, as the client sees them",
    setup(io) {
      io.on("connection", (socket) => {
        const p = serverPayload();
        socket.emit("single", p.buffer);
        socket.emit("shapes", p);
        socket.emit("many", ...Array.from({ length: 20 }, (_, i) => bytes(i)));
        socket.emit("done");
      });
    },
    async run(ctx) {
      const out: Record<string, unknown> = {};
      for (const transports of [["polling"], ["websocket"]]) {
        const c = ctx.client("/", { transports });
        const got: unknown[] = [];
        c.onAny((...a: unknown[]) => got.push(bin(a)));
        await new Promise((r) => c.on("done", r));
        out[transports[0]] = got;
        c.disconnect();
      }
      return out;
    },
  },
  {
    name: "binary in acknowledgements, both ways",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("give-me-binary", (what: Buffer, ack: (...a: unknown[]) => void) => ack(Buffer.concat([what, bytes(0xff)]), { inside: bytes(1, 2) }, "text"));
        socket.on("ask-client", async (ack: (v: unknown) => void) => {
          const answer = await socket.timeout(5_000).emitWithAck("binary-question", bytes(5, 6));
          ack(bin({ serverGot: answer }));
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      c.on("binary-question", (q: Buffer, ack: (v: unknown) => void) => ack({ echo: q, more: [bytes(7), new Uint8Array([8]), new Uint8Array([9]).buffer] }));
      const fromServer = await new Promise((resolve) => c.emit("give-me-binary", bytes(0xaa, 0xbb), (...a: unknown[]) => resolve(bin(a))));
      const fromClient = await c.emitWithAck("ask-client");
      return { fromServer, fromClient };
    },
  },
  {
    name: "mixed binary and non-binary arguments keep their positions",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("mixed", (...args: unknown[]) => {
          const ack = args.pop() as (...v: unknown[]) => void;
          socket.emit("mixed-back", ...args);
          ack(bin(args));
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const back = new Promise((resolve) => c.on("mixed-back", (...a: unknown[]) => resolve(bin(a))));
      const args = [1, "s", bytes(1), null, { x: bytes(2), y: "y" }, [1, bytes(3), "z"], true, { _placeholder: true, num: 0 }];
      const serverSaw = await c.emitWithAck("mixed", ...args);
      return { serverSaw, clientGotBack: await back };
    },
  },
  {
    name: "binary broadcast to a room reaches clients on every node",
    setup(io) {
      io.on("connection", (socket) => {
        socket.join(socket.handshake.auth.rooms);
        socket.on("go", (ack: () => void) => {
          socket.to("r").emit("bin-room", bytes(1, 2), { nested: [bytes(3)] }, "from a");
          io.to("r").except("x").emit("bin-all", serverPayload());
          io.emit("barrier");
          ack();
        });
      });
    },
    async run(ctx) {
      const specs = [
        { name: "a", rooms: ["r"] },
        { name: "b", rooms: ["r"] },
        { name: "c", rooms: ["r", "x"] },
        { name: "d", rooms: ["r"] },
        { name: "e", rooms: [] },
      ];
      const clients = await connectAll(ctx, specs);
      const logs = clients.map(
        (c) =>
          new Promise((resolve) => {
            const log: unknown[] = [];
            c.onAny((ev: string, ...a: unknown[]) => (ev === "barrier" ? resolve(log) : log.push(bin([ev, ...a]))));
          }),
      );
      await clients[0].emitWithAck("go");
      const fromA = await Promise.all(logs);
      const logs2 = clients.map(
        (c) =>
          new Promise((resolve) => {
            const log: unknown[] = [];
            c.onAny((ev: string, ...a: unknown[]) => (ev === "barrier-2" ? resolve(log) : ev !== "barrier" && log.push(bin([ev, ...a]))));
          }),
      );
      ctx.servers[0].to("r").emit("bin-from-0", bytes(0xde, 0xad), { list: [bytes(0xbe), bytes(0xef)] });
      ctx.servers[0].emit("barrier-2");
      const from0 = await Promise.all(logs2);
      return {
        fromA: Object.fromEntries(specs.map((s, i) => [s.name, fromA[i]])),
        from0: Object.fromEntries(specs.map((s, i) => [s.name, from0[i]])),
      };
    },
  },
  {
    name: "broadcast acks carrying binary from every node",
    setup(io) {
      io.on("connection", (socket) => socket.join(socket.handshake.auth.rooms));
    },
    async run(ctx) {
      const specs = ["a", "b", "c", "d"].map((name) => ({ name, rooms: ["r"] }));
      const clients = await connectAll(ctx, specs);
      clients.forEach((c, i) => c.on("q", (q: Buffer, ack: (v: unknown) => void) => ack({ i, echo: q, own: bytes(i, i) })));
      const responses = (await ctx.servers[0].to("r").timeout(5_000).emitWithAck("q", bytes(0x42))) as Array<{ i: number }>;
      return responses.sort((x, y) => x.i - y.i).map(bin);
    },
  },
  {
    name: "typed arrays sent by the server: Uint8Array and ArrayBuffer in emits, broadcasts and acks",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("go", (ack: (...a: unknown[]) => void) => {
          socket.emit("uint8", new Uint8Array([1, 2, 3]));
          socket.emit("arraybuffer", new Uint8Array([4, 5]).buffer);
          socket.emit("view", new Uint16Array([0x0102, 0x0304]));
          io.emit("broadcast-uint8", { nested: new Uint8Array([6]) });
          socket.emit("done");
          ack(new Uint8Array([7]), new Uint8Array([8]).buffer);
        });
      });
    },
    async run(ctx) {
      return guarded(async () => {
        const c = await ctx.connect();
        const got: unknown[] = [];
        c.onAny((...a: unknown[]) => got.push(bin(a)));
        const done = new Promise((r) => c.on("done", r));
        const ack = await new Promise((resolve) => c.emit("go", (...a: unknown[]) => resolve(bin(a))));
        await done;
        return { got, ack };
      });
    },
  },
  {
    name: "socket.data with binary, seen through fetchSockets",
    setup(io) {
      io.on("connection", (socket) => {
        socket.data = { name: socket.handshake.auth.name, key: bytes(1, 2, 3), nested: { list: [bytes(4)] } };
      });
    },
    async run(ctx) {
      await connectAll(ctx, ["a", "b", "c", "d"].map((name) => ({ name, rooms: [] })));
      const views = await Promise.all(
        ctx.servers.map(async (s) => (await s.fetchSockets()).map((x) => bin(x.data) as { name: string }).sort((x, y) => x.name.localeCompare(y.name))),
      );
      return { fromServer0: views[0], sameOnEveryServer: views.every((v) => JSON.stringify(v) === JSON.stringify(views[0])) };
    },
  },
]);
