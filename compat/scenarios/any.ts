import type { Socket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import type { CompatContext, Shared } from "../scenario";
import { scenarios } from "../scenario";
import { waitFor } from "../../test/helpers/wait";

/** Catch-all listeners of the server-side socket, recorded in `shared[<client name>]`. */

function args(list: unknown[]): unknown[] {
  return list.map((a) => (typeof a === "function" ? "<ack>" : a === undefined ? "<undefined>" : a));
}

function logOf(shared: Shared, socket: Socket): unknown[][] {
  return (shared[socket.handshake.auth.name] ??= []);
}

async function connectAll(ctx: CompatContext, specs: Array<{ name: string; rooms: string[] }>): Promise<ClientSocket[]> {
  const out: ClientSocket[] = [];
  for (const auth of specs) out.push(await ctx.connect("/", { auth }));
  return out;
}

export default scenarios("any", [
  {
    name: "onAny, prependAny, offAny and listenersAny on incoming events",
    setup(io, shared) {
      io.on("connection", (socket) => {
        const log = logOf(shared, socket);
        const first = (...a: unknown[]) => log.push(["onAny first", ...args(a)]);
        const second = (...a: unknown[]) => log.push(["onAny second", ...args(a)]);
        const prepended = (...a: unknown[]) => log.push(["prependAny", ...args(a)]);
        socket.onAny(first);
        socket.onAny(second);
        socket.prependAny(prepended);
        socket.use(([ev], next) => (ev === "blocked" ? next(new Error("blocked by socket.use")) : next()));
        socket.on("error", (err) => log.push(["error event", err.message]));
        socket.on("e1", (...a: unknown[]) => log.push(["on e1", ...args(a)]));
        socket.on("with-ack", (n: number, ack: (v: number) => void) => ack(n * 2));
        socket.on("blocked", () => log.push(["on blocked (should not run)"]));
        socket.on("control", (cmd: string, ack: (r: unknown) => void) => {
          if (cmd === "off-first") socket.offAny(first);
          if (cmd === "off-all") socket.offAny();
          const listeners = socket.listenersAny();
          ack({
            count: listeners.length,
            order: listeners.map((l) => (l === first ? "first" : l === second ? "second" : l === prepended ? "prepended" : "?")),
          });
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { auth: { name: "x" } });
      const before = await c.emitWithAck("control", "count");
      c.emit("e1", 1, { two: 2 }, null);
      const doubled = await c.emitWithAck("with-ack", 21);
      c.emit("blocked", "b");
      c.emit("no-listener", "n");
      const afterOffFirst = await c.emitWithAck("control", "off-first");
      c.emit("e2");
      const afterOffAll = await c.emitWithAck("control", "off-all");
      c.emit("e3", "not seen by any listener");
      await c.emitWithAck("control", "count");
      return { before, doubled, afterOffFirst, afterOffAll, log: ctx.shared.x };
    },
  },
  {
    name: "onAnyOutgoing, prependAnyOutgoing, offAnyOutgoing and listenersAnyOutgoing on socket.emit",
    setup(io, shared) {
      io.on("connection", (socket) => {
        const log = logOf(shared, socket);
        const first = (...a: unknown[]) => log.push(["out first", ...args(a)]);
        const second = (...a: unknown[]) => log.push(["out second", ...args(a)]);
        const prepended = (...a: unknown[]) => log.push(["out prepended", ...args(a)]);
        socket.onAnyOutgoing(first);
        socket.onAnyOutgoing(second);
        socket.prependAnyOutgoing(prepended);
        const listeners = () =>
          socket.listenersAnyOutgoing().map((l) => (l === first ? "first" : l === second ? "second" : l === prepended ? "prepended" : "?"));
        socket.on("control", (cmd: string, ack: (r: unknown) => void) => {
          if (cmd === "emit") {
            socket.emit("out1", 1, { two: 2 });
            socket.emit("out-with-ack", "q", () => undefined);
            socket.timeout(5_000).emit("out-timeout", () => undefined);
            socket.volatile.emit("out-volatile");
            socket.compress(false).emit("out-uncompressed", "u");
          }
          if (cmd === "off-first") socket.offAnyOutgoing(first);
          if (cmd === "off-all") socket.offAnyOutgoing();
          if (cmd === "emit-again") socket.emit("out2");
          ack(listeners());
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { auth: { name: "x", rooms: [] }, transports: ["websocket"] });
      c.on("out-with-ack", (_q: string, ack: () => void) => ack());
      c.on("out-timeout", (ack: () => void) => ack());
      const listeners = await c.emitWithAck("control", "count");
      const afterEmit = await c.emitWithAck("control", "emit");
      const afterOffFirst = await c.emitWithAck("control", "off-first");
      await c.emitWithAck("control", "emit-again");
      const afterOffAll = await c.emitWithAck("control", "off-all");
      await c.emitWithAck("control", "emit-again");
      return { listeners, afterEmit, afterOffFirst, afterOffAll, log: ctx.shared.x };
    },
  },
  {
    name: "onAnyOutgoing sees the broadcasts each socket receives",
    setup(io, shared) {
      io.on("connection", (socket) => {
        socket.join(socket.handshake.auth.rooms);
        const log = logOf(shared, socket);
        socket.onAnyOutgoing((...a: unknown[]) => log.push(args(a)));
        socket.on("go", async (ack: () => void) => {
          io.emit("all", 1);
          io.to("r1").emit("r1");
          io.except("r1").emit("not-r1");
          socket.broadcast.emit("others");
          socket.to("r2").emit("r2-not-me");
          io.to("r1").to("r2").emit("r1-or-r2");
          await io.to("r2").timeout(5_000).emitWithAck("r2-ack", "q");
          io.emit("barrier");
          ack();
        });
      });
    },
    async run(ctx) {
      const specs = [
        { name: "a", rooms: ["r1", "r2"] },
        { name: "b", rooms: ["r1"] },
        { name: "c", rooms: ["r2"] },
        { name: "d", rooms: [] },
      ];
      const clients = await connectAll(ctx, specs);
      const barriers = clients.map((c) => new Promise((r) => c.on("barrier", r)));
      for (const c of clients) c.on("r2-ack", (_q: string, ack: (v: string) => void) => ack("ok"));
      await clients[0].emitWithAck("go");
      await Promise.all(barriers);
      // the barrier went through every socket's outgoing listener before it was written
      await waitFor(() => specs.every((s) => ctx.shared[s.name]?.some((e: unknown[]) => e[0] === "barrier")));
      ctx.servers[0].to("r2").emit("from-server-0");
      ctx.servers[0].emit("barrier-2");
      await Promise.all(clients.map((c) => new Promise((r) => c.on("barrier-2", r))));
      await waitFor(() => specs.every((s) => ctx.shared[s.name]?.some((e: unknown[]) => e[0] === "barrier-2")));
      return Object.fromEntries(specs.map((s) => [s.name, ctx.shared[s.name]]));
    },
  },
  {
    name: "client-side onAny and onAnyOutgoing see what the server sends and what the client emits",
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("hello", (n: number, ack: (v: number) => void) => {
          socket.emit("reply", n + 1);
          io.emit("broadcast", n + 2);
          ack(n + 3);
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const incoming: unknown[] = [];
      const outgoing: unknown[] = [];
      c.onAny((...a: unknown[]) => incoming.push(args(a)));
      c.onAnyOutgoing((...a: unknown[]) => outgoing.push(args(a)));
      const broadcast = new Promise((r) => c.on("broadcast", r));
      const acked = await c.emitWithAck("hello", 1);
      await broadcast;
      return { acked, incoming, outgoing };
    },
  },
]);
