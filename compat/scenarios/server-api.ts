import type { Server, Socket as ServerSocket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import { scenarios } from "../scenario";
import { ask } from "./_helpers";
import { waitFor } from "../../test/helpers/wait";

/** The message `fn` throws, or "no throw". */
function thrown(fn: () => unknown): string {
  try {
    fn();
    return "no throw";
  } catch (err) {
    return (err as Error).message;
  }
}

const RESERVED = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

export default scenarios("server-api", [
  {
    name: "reserved event names throw on socket.emit, io.emit, to(room).emit, broadcast.emit",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("try", (ack: (r: unknown) => void) => {
          const result: Record<string, Record<string, string>> = {};
          for (const ev of RESERVED) {
            result[ev] = {
              "socket.emit": thrown(() => socket.emit(ev as never)),
              "io.emit": thrown(() => io.emit(ev as never)),
              "io.to(room).emit": thrown(() => io.to("some-room").emit(ev as never)),
              "socket.broadcast.emit": thrown(() => socket.broadcast.emit(ev as never)),
              "socket.to(room).emit": thrown(() => socket.to("some-room").emit(ev as never)),
              "io.of('/').emit": thrown(() => io.of("/").emit(ev as never)),
            };
          }
          ack(result);
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const received: string[] = [];
      c.onAny((ev: string) => received.push(ev));
      const result = await ask(c, "try");
      return { result, received };
    },
  },
  {
    name: "reserved event names of namespaces throw on serverSideEmit",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("try", (ack: (r: unknown) => void) =>
          ack(
            Object.fromEntries(
              ["connect", "connection", "new_namespace"].map((ev) => [
                ev,
                { io: thrown(() => io.serverSideEmit(ev as never)), nsp: thrown(() => io.of("/").serverSideEmit(ev as never)) },
              ]),
            ),
          ),
        );
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      return ask(c, "try");
    },
  },
  {
    name: "io.sockets is the main namespace io.of('/'); socket.nsp.server is io",
    setup(io) {
      io.on("connection", (socket) =>
        socket.on("facts", (ack: (f: unknown) => void) =>
          ack({
            socketsIsOfMain: io.sockets === io.of("/"),
            socketsName: io.sockets.name,
            socketNspIsSockets: socket.nsp === io.sockets,
            nspServerIsIo: socket.nsp.server === io,
            socketInSockets: io.sockets.sockets.get(socket.id) === socket,
            ofIsStable: io.of("/a") === io.of("/a"),
          }),
        ),
      );
    },
    async run(ctx) {
      const c = await ctx.connect();
      return ask(c, "facts");
    },
  },
  {
    name: "io.path(), io.serveClient(), io.connectTimeout(): default getters, setters return the server",
    setup(io, shared, appIndex) {
      const getters = () => ({ path: io.path(), serveClient: io.serveClient(), connectTimeout: io.connectTimeout() });
      const before = getters();
      const chain = {
        path: io.path("/socket.io/") === io,
        serveClient: io.serveClient(true) === io,
        connectTimeout: io.connectTimeout(30_000) === io,
      };
      (shared.apps ??= [])[appIndex] = { before, chain, after: getters() };
    },
    async run(ctx) {
      // on "split" setup ran on both app-nodes: each must have seen the same
      const apps = ctx.shared.apps as unknown[];
      return { first: apps[0], allSame: apps.every((a) => JSON.stringify(a) === JSON.stringify(apps[0])) };
    },
  },
  {
    name: "path, serveClient and connectTimeout options: getters reflect them, clients connect on the custom path",
    serverOptions: { path: "/custom-path", serveClient: false, connectTimeout: 12_345 },
    setup(io) {
      io.on("connection", (socket) =>
        socket.on("facts", (ack: (f: unknown) => void) =>
          ack({
            path: io.path(),
            serveClient: io.serveClient(),
            connectTimeout: io.connectTimeout(),
            url: new URL(socket.handshake.url, "http://x").pathname,
          }),
        ),
      );
    },
    async run(ctx) {
      const c = await ctx.connect("/", { path: "/custom-path" });
      return ask(c, "facts");
    },
  },
  {
    name: "socket.timeout, socket.volatile and socket.compress return the socket; events sent through them arrive",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("go", async (ack: (r: unknown) => void) => {
          // volatile first, while the transport is idle: a volatile packet is dropped when it is not writable
          const volatile = socket.volatile;
          const sameVolatile = volatile === socket;
          volatile.emit("volatile-event", 1);
          const compressed = socket.compress(false);
          const sameCompress = compressed === socket;
          compressed.emit("compressed-event", 2);
          const timed = socket.timeout(2_000);
          const sameTimeout = timed === socket;
          const answer = await timed.emitWithAck("timeout-event", 3);
          ack({ sameVolatile, sameCompress, sameTimeout, answer, emitReturns: socket.emit("plain-event", 4) });
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const got: string[] = [];
      c.onAny((ev: string, ...args: unknown[]) => {
        if (typeof args[args.length - 1] === "function") (args.pop() as (a: string) => void)("answered");
        got.push(`${ev} ${JSON.stringify(args)}`);
      });
      const plain = new Promise<void>((resolve) => c.once("plain-event", () => resolve()));
      const server = await ask(c, "go");
      await plain;
      return { server, got };
    },
  },
  {
    name: "socket.onAny, prependAny, offAny and listenersAny; onAnyOutgoing and listenersAnyOutgoing",
    setup(io) {
      io.on("connection", (socket) => {
        const seen: string[] = [];
        const f1 = (ev: string) => seen.push(`f1 ${ev}`);
        const f2 = (ev: string) => seen.push(`f2 ${ev}`);
        const f3 = (ev: string) => seen.push(`f3 ${ev}`);
        const out = (ev: string) => seen.push(`out ${ev}`);
        const lengths: Record<string, number> = { initial: socket.listenersAny().length };
        socket.onAny(f1);
        socket.onAny(f2);
        socket.prependAny(f3);
        lengths.afterAdd = socket.listenersAny().length;
        const order = socket.listenersAny().map((f) => (f === f1 ? "f1" : f === f2 ? "f2" : f === f3 ? "f3" : "?"));
        socket.onAnyOutgoing(out);
        lengths.outgoing = socket.listenersAnyOutgoing().length;
        socket.on("first", () => {
          socket.offAny(f1);
          lengths.afterOffF1 = socket.listenersAny().length;
          socket.emit("reply-first");
        });
        socket.on("second", (ack: (r: unknown) => void) => {
          socket.offAny();
          socket.offAnyOutgoing(out);
          lengths.afterOffAll = socket.listenersAny().length;
          lengths.outgoingAfterOff = socket.listenersAnyOutgoing().length;
          ack({ lengths, order, seen: [...seen] });
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const replied = new Promise<void>((resolve) => c.once("reply-first", () => resolve()));
      c.emit("first");
      await replied;
      return ask(c, "second");
    },
  },
  {
    name: "io.of('/').adapter.rooms and sids reflect join and leave (seen on the socket's own server)",
    setup(io) {
      const view = (io: Server, socket: ServerSocket) => {
        const { rooms, sids } = io.of("/").adapter;
        return {
          r1: rooms.has("r1") ? rooms.get("r1")!.has(socket.id) && rooms.get("r1")!.size : "absent",
          r2: rooms.has("r2") ? rooms.get("r2")!.has(socket.id) && rooms.get("r2")!.size : "absent",
          ownRoom: rooms.get(socket.id)?.has(socket.id) === true,
          sids: [...(sids.get(socket.id) ?? [])].map((r) => (r === socket.id ? "<own id>" : r)).sort(),
          socketRooms: [...socket.rooms].map((r) => (r === socket.id ? "<own id>" : r)).sort(),
        };
      };
      io.on("connection", (socket) => {
        const steps: Record<string, unknown> = { atConnection: view(io, socket) };
        socket.on("join", async (ack: (r: unknown) => void) => {
          await socket.join(["r1", "r2"]);
          steps.afterJoin = view(io, socket);
          await socket.leave("r1");
          steps.afterLeave = view(io, socket);
          ack(steps);
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      return ask(c, "join");
    },
  },
  {
    name: "socket.send and the message event, both ways",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("message", (...args: unknown[]) => {
          socket.send("echo", ...args);
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const echoed = new Promise((resolve) => c.once("message", (...args: unknown[]) => resolve(args)));
      c.send("hello", { n: 1 });
      return echoed;
    },
  },
  {
    name: "socket.conn events: packet and packetCreate for messages, close with its reason",
    setup(io, shared) {
      io.on("connection", (socket) => {
        const received: unknown[] = [];
        const created: unknown[] = [];
        socket.conn.on("packet", (packet: { type: string; data?: unknown }) => {
          if (packet.type === "message") received.push(packet.data);
        });
        socket.conn.on("packetCreate", (packet: { type: string; data?: unknown }) => {
          if (packet.type === "message") created.push(packet.data);
        });
        socket.conn.on("close", (reason: string) => (shared.connClose = reason));
        socket.on("hello", (_text: string, ack: (r: unknown) => void) => {
          socket.emit("note", "from server");
          ack({ received: [...received], created: [...created] });
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const result = await ask(c, "hello", "from client");
      c.disconnect();
      return { ...result, connClose: await waitFor(() => ctx.shared.connClose, { what: "conn close" }) };
    },
  },
]);
