import type { Server, Socket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import type { CompatContext, Scenario, Shared } from "../scenario";
import { scenarios } from "../scenario";

/**
 * The pattern of this group: clients named by `auth.name` join `auth.rooms` on connection. A
 * client (or the test, on `ctx.servers[0]`) triggers a broadcast; the server then emits a
 * "barrier" to everyone, from the same app-node, so it arrives after the broadcast on every
 * client: what a client logged before the barrier is what the broadcast gave it.
 */

interface Spec {
  name: string;
  rooms?: string[];
  nsp?: string;
  opts?: Record<string, unknown>;
}

type Action = (io: Server, socket: Socket, arg: any, shared: Shared) => unknown;

/** A client's log of received events, cut at each barrier. */
interface Recorder {
  until(barrier: string): Promise<unknown[]>;
}

function recorder(c: ClientSocket): Recorder {
  let log: unknown[] = [];
  const waiting = new Map<string, (l: unknown[]) => void>();
  const done = new Map<string, unknown[]>();
  c.onAny((ev: string, ...args: any[]) => {
    if (typeof args[args.length - 1] === "function") args.pop(); // acks are answered by c.on() listeners
    if (ev === "barrier") {
      const l = log;
      log = [];
      const w = waiting.get(args[0]);
      if (w) w(l);
      else done.set(args[0], l);
      return;
    }
    log.push(args.length ? [ev, ...args] : ev);
  });
  return {
    until: (barrier) => (done.has(barrier) ? Promise.resolve(done.get(barrier)!) : new Promise((r) => waiting.set(barrier, r))),
  };
}

/** Connects the clients one after the other (so they spread over io-nodes and app-nodes). */
async function connectAll(ctx: CompatContext, specs: Spec[]): Promise<Array<{ spec: Spec; c: ClientSocket; rec: Recorder }>> {
  const out = [];
  for (const spec of specs) {
    const c = await ctx.connect(spec.nsp ?? "/", { auth: { name: spec.name, rooms: spec.rooms ?? [] }, ...spec.opts });
    out.push({ spec, c, rec: recorder(c) });
  }
  return out;
}

/** What each client received up to `barrier`, by name. */
async function logs(clients: Array<{ spec: Spec; rec: Recorder }>, barrier: string): Promise<Record<string, unknown[]>> {
  const all = await Promise.all(clients.map((x) => x.rec.until(barrier)));
  return Object.fromEntries(clients.map((x, i) => [`${x.spec.nsp ?? ""}${x.spec.name}`, all[i]]));
}

/** Joins `auth.rooms` on connection; "do" runs an action, then a barrier goes to everyone (all namespaces given). */
function withActions(actions: Record<string, Action>, namespaces: string[] = ["/"]) {
  return (io: Server, shared: Shared) => {
    for (const name of namespaces) {
      io.of(name).on("connection", (socket) => {
        socket.join(socket.handshake.auth.rooms ?? []);
        socket.on("do", async (action: string, arg: unknown, ack?: (r: unknown) => void) => {
          const result = await actions[action](io, socket, arg, shared);
          for (const nsp of namespaces) io.of(nsp).emit("barrier", action);
          ack?.(result);
        });
      });
    }
  };
}

/** The test itself broadcasts from app-node 0, then sends the barrier from there. */
function fromServer0(ctx: CompatContext, barrier: string, broadcast: (io: Server) => void, namespaces: string[] = ["/"]): void {
  const io = ctx.servers[0];
  broadcast(io);
  for (const nsp of namespaces) io.of(nsp).emit("barrier", barrier);
}

const FOUR: Spec[] = [
  { name: "a", rooms: ["r1"] },
  { name: "b", rooms: ["r1", "r2"] },
  { name: "c", rooms: ["r2", "r3"] },
  { name: "d", rooms: [] },
];

/** A scenario where client `a` triggers `action` and every client's log is observed. */
function triggered(name: string, action: Action, opts: { specs?: Spec[]; arg?: (clients: ClientSocket[]) => unknown } = {}): Omit<Scenario, "group"> {
  return {
    name,
    setup: withActions({ go: action }),
    async run(ctx) {
      const clients = await connectAll(ctx, opts.specs ?? FOUR);
      const result = await clients[0].c.emitWithAck("do", "go", opts.arg?.(clients.map((x) => x.c)) ?? null);
      return { result: result ?? null, received: await logs(clients, "go") };
    },
  };
}

export default scenarios("broadcast", [
  triggered("io.emit reaches every client, the sender included", (io) => {
    io.emit("all", 1, { two: 2 });
  }),
  triggered("io.send, io.write and io.sockets.emit are broadcasts too", (io, socket) => {
    io.send("sent", 1);
    io.write("written");
    io.sockets.emit("via-sockets");
    io.of("/").to("r1").emit("message", "to-r1 as a message");
    socket.broadcast.emit("message", "broadcast as a message");
  }),
  triggered(
    "io.except(socket id) and io.to(id).except(room)",
    (io, _socket, ids: string[]) => {
      io.except(ids[0]).emit("not-b");
      io.to(ids).except("r3").emit("b-or-c-but-not-r3");
    },
    { arg: (cs) => [cs[1].id, cs[2].id] },
  ),
  triggered("io.to(room).emit reaches the room's members only", (io) => {
    io.to("r1").emit("to-r1", "x");
  }),
  triggered("io.in(room).emit is io.to(room).emit", (io) => {
    io.in("r2").emit("in-r2", "y");
  }),
  triggered("io.except(room).emit reaches everyone outside the room", (io) => {
    io.except("r2").emit("except-r2");
  }),
  triggered("chained io.to(a).to(b).except(c)", (io) => {
    io.to("r1").to("r2").except("r3").emit("chain");
    io.to("r3").except(["r1", "r2"]).emit("chain2");
    io.except("r1").except("r3").emit("chain3");
  }),
  triggered("a socket in two targeted rooms gets one copy", (io) => {
    io.to(["r1", "r2"]).emit("array");
    io.to("r1").to("r2").to("r3").emit("chained");
    io.in(["r1", "r1"]).emit("same-room-twice");
  }),
  triggered("socket.broadcast.emit reaches everyone but the sender", (_io, socket) => {
    socket.broadcast.emit("broadcast", "from a");
  }),
  triggered(
    "socket.to(room).emit reaches the room but not the sender",
    (_io, socket) => {
      socket.to("r1").emit("to-r1-not-me");
      socket.to(["r2", "r3"]).emit("to-r2-r3-not-me");
      socket.in("r2").except("r3").emit("in-r2-except-r3");
    },
    { specs: [{ name: "a", rooms: ["r1", "r2"] }, ...FOUR.slice(1)] },
  ),
  triggered("socket.except(room).emit excludes the room and the sender", (_io, socket) => {
    socket.except("r3").emit("except-r3");
  }),
  triggered(
    "io.to(socket id) sends to one other client, wherever it is",
    (io, _socket, id: string) => {
      io.to(id).emit("private", "psst");
    },
    { arg: (cs) => cs[2].id },
  ),
  {
    name: "io.local.emit reaches exactly the sockets this server owns",
    setup: withActions({
      async local(io) {
        // the local sockets of the server that handles the trigger: all of them on a single server
        const local = (await io.local.fetchSockets()).map((s) => s.handshake.auth.name as string).sort();
        io.local.emit("local", "hi");
        io.local.to("r1").emit("local-r1");
        return local;
      },
    }),
    async run(ctx) {
      const clients = await connectAll(ctx, FOUR);
      const local = (await clients[0].c.emitWithAck("do", "local", null)) as string[];
      const received = await logs(clients, "local");
      const gotLocal = Object.entries(received)
        .filter(([, l]) => l.some((e) => JSON.stringify(e) === JSON.stringify(["local", "hi"])))
        .map(([n]) => n)
        .sort();
      const gotLocalR1 = Object.entries(received)
        .filter(([, l]) => l.includes("local-r1"))
        .map(([n]) => n)
        .sort();
      const r1 = clients.filter((x) => x.spec.rooms?.includes("r1")).map((x) => x.spec.name);
      return {
        senderIsLocal: local.includes("a"),
        receiversAreTheLocalSockets: JSON.stringify(gotLocal) === JSON.stringify(local),
        localR1IsLocalAndR1: JSON.stringify(gotLocalR1) === JSON.stringify(local.filter((n) => r1.includes(n))),
        nothingElse: Object.values(received).every((l) => l.every((e) => e === "local-r1" || JSON.stringify(e) === JSON.stringify(["local", "hi"]))),
      };
    },
  },
  {
    name: "io.local.emit from app-node 0 with every socket of one server (single-server view)",
    setup: withActions({}),
    async run(ctx) {
      // clients only count when app-node 0 owns them: compare with its own local fetchSockets
      const clients = await connectAll(ctx, FOUR);
      const io = ctx.servers[0];
      const local = new Set((await io.local.fetchSockets()).map((s) => s.handshake.auth.name as string));
      fromServer0(ctx, "b0", (io) => io.local.emit("local-from-0"));
      const received = await logs(clients, "b0");
      // a socket of app-node 0 got exactly the event, any other got nothing
      return Object.fromEntries(
        Object.entries(received).map(([name, l]) => [
          name,
          local.has(name) ? JSON.stringify(l) === JSON.stringify(["local-from-0"]) || l : l.length === 0 || l,
        ]),
      );
    },
  },
  {
    name: "volatile broadcast reaches idle websocket clients",
    setup: withActions({
      go(io) {
        io.volatile.emit("volatile-all", 1);
        return null;
      },
      room(io) {
        io.volatile.to("r2").emit("volatile-r2", 2);
        return null;
      },
    }),
    async run(ctx) {
      const clients = await connectAll(
        ctx,
        FOUR.map((s) => ({ ...s, opts: { transports: ["websocket"] } })),
      );
      await clients[0].c.emitWithAck("do", "go", null);
      const all = await logs(clients, "go");
      await clients[0].c.emitWithAck("do", "room", null);
      return { all, room: await logs(clients, "room") };
    },
  },
  triggered("compress(false) broadcast is delivered as usual", (io, socket) => {
    io.compress(false).emit("uncompressed", "x".repeat(2_000));
    io.to("r2").compress(false).emit("uncompressed-r2", { big: "y".repeat(2_000) });
    socket.broadcast.compress(true).emit("compressed-broadcast", "z".repeat(2_000));
  }),
  {
    name: "broadcast with acks, every client answers (io.timeout().emit callback)",
    setup: withActions({
      all: (io) =>
        new Promise((resolve) =>
          io.timeout(5_000).emit("q", "all", (err: Error | null, responses: string[]) => resolve({ err: err && err.message, responses: [...responses].sort() })),
        ),
      room: (io) =>
        new Promise((resolve) =>
          io
            .to("r2")
            .timeout(5_000)
            .emit("q", "r2", (err: Error | null, responses: string[]) => resolve({ err: err && err.message, responses: [...responses].sort() })),
        ),
      others: (_io, socket) =>
        new Promise((resolve) =>
          socket.broadcast
            .timeout(5_000)
            .emit("q", "others", (err: Error | null, responses: string[]) => resolve({ err: err && err.message, responses: [...responses].sort() })),
        ),
    }),
    async run(ctx) {
      const clients = await connectAll(ctx, FOUR);
      for (const { c, spec } of clients) c.on("q", (what: string, ack: (r: string) => void) => ack(`${spec.name}:${what}`));
      const all = await clients[0].c.emitWithAck("do", "all", null);
      const room = await clients[0].c.emitWithAck("do", "room", null);
      const others = await clients[0].c.emitWithAck("do", "others", null);
      return { all, room, others };
    },
  },
  {
    name: "broadcast with acks, some clients do not answer: error and partial responses",
    timeout: 15_000,
    setup: withActions({
      some: (io) =>
        new Promise((resolve) =>
          io.timeout(1_000).emit("q", (err: Error | null, responses: string[]) =>
            resolve({ err: err && err.message, isError: err instanceof Error, responses: [...responses].sort() }),
          ),
        ),
    }),
    async run(ctx) {
      const clients = await connectAll(ctx, FOUR);
      for (const { c, spec } of clients) {
        c.on("q", (ack: (r: string) => void) => {
          if (spec.name !== "b" && spec.name !== "d") ack(spec.name);
        });
      }
      return { some: await clients[0].c.emitWithAck("do", "some", null) };
    },
  },
  {
    name: "broadcast with acks to zero clients: no error, empty responses",
    setup: (io, shared) => {
      io.of("/empty");
      return withActions({
      none: (io) =>
        new Promise((resolve) =>
          io
            .to("nobody-here")
            .timeout(3_000)
            .emit("q", (err: Error | null, responses: string[]) => resolve({ err: err && err.message, responses })),
        ),
      withAck: (io) => io.to("nobody-here").timeout(3_000).emitWithAck("q"),
      })(io, shared);
    },
    async run(ctx) {
      const clients = await connectAll(ctx, FOUR);
      const none = await clients[0].c.emitWithAck("do", "none", null);
      const withAck = await clients[0].c.emitWithAck("do", "withAck", null);
      const fromServer0 = await new Promise((resolve) =>
        ctx.servers[0]
          .to("nobody-here")
          .timeout(3_000)
          .emit("q", (err: Error | null, responses: string[]) => resolve({ err: err && err.message, responses })),
      );
      const allFromServer0Empty = await new Promise((resolve) =>
        ctx.servers[0]
          .of("/empty")
          .timeout(3_000)
          .emit("q", (err: Error | null, responses: string[]) => resolve({ err: err && err.message, responses })),
      );
      return { none, withAck, fromServer0, allFromServer0Empty };
    },
  },
  {
    name: "io.timeout().emitWithAck for broadcasts: resolves with all responses, rejects with partial ones",
    timeout: 15_000,
    setup: withActions({}),
    async run(ctx) {
      const clients = await connectAll(ctx, FOUR);
      for (const { c, spec } of clients) {
        c.on("q", (ack: (r: unknown) => void) => ack({ name: spec.name }));
        c.on("q-r1", (ack: (r: unknown) => void) => ack(spec.name));
        c.on("q-half", (ack: (r: unknown) => void) => (spec.name === "a" || spec.name === "c" ? ack(spec.name) : undefined));
      }
      const io = ctx.servers[0];
      const all = ((await io.timeout(5_000).emitWithAck("q")) as Array<{ name: string }>).map((r) => r.name).sort();
      const r1 = ((await io.to("r1").timeout(5_000).emitWithAck("q-r1")) as string[]).sort();
      const half = await io
        .timeout(1_000)
        .emitWithAck("q-half")
        .then(
          (r: unknown) => ({ resolved: r }),
          (err: Error & { responses?: string[] }) => ({ rejected: err.message, responses: [...(err.responses ?? [])].sort() }),
        );
      return { all, r1, half };
    },
  },
  {
    name: "broadcast acks and fetchSockets in a namespace other than the main one, across app-nodes",
    setup(io) {
      io.of("/chat").on("connection", (socket) => socket.join(socket.handshake.auth.rooms ?? []));
    },
    async run(ctx) {
      const clients = await connectAll(
        ctx,
        FOUR.map((s) => ({ ...s, nsp: "/chat" })),
      );
      for (const { c, spec } of clients) c.on("q", (ack: (r: string) => void) => ack(spec.name));
      const chat = ctx.servers[0].of("/chat");
      const all = ((await chat.timeout(5_000).emitWithAck("q")) as string[]).sort();
      const r2 = ((await chat.to("r2").timeout(5_000).emitWithAck("q")) as string[]).sort();
      const fetched = (await chat.fetchSockets()).map((s) => s.handshake.auth.name as string).sort();
      return { all, r2, fetched };
    },
  },
  {
    name: "io.to(room).emit from app-node 0 reaches clients owned by any app-node",
    async setup(io) {
      io.on("connection", (socket) => socket.join(socket.handshake.auth.rooms ?? []));
    },
    async run(ctx) {
      const specs: Spec[] = [
        { name: "a", rooms: ["room"] },
        { name: "b", rooms: ["room"] },
        { name: "c", rooms: ["room", "other"] },
        { name: "d", rooms: ["room"] },
        { name: "e", rooms: ["other"] },
        { name: "f", rooms: [] },
      ];
      const clients = await connectAll(ctx, specs);
      fromServer0(ctx, "b1", (io) => {
        io.to("room").emit("hello", "room");
        io.to("other").except("room").emit("hello", "other only");
        io.emit("hello", "all");
      });
      return logs(clients, "b1");
    },
  },
  {
    name: "with connectionStateRecovery, broadcasts and socket.emit keep their relative order",
    serverOptions: { connectionStateRecovery: {} },
    setup: withActions({
      mixed(io, socket) {
        socket.emit("direct-1");
        io.emit("broadcast-1");
        socket.emit("direct-2");
        io.to("r1").emit("room-1");
        socket.emit("direct-3");
        socket.broadcast.emit("others-1");
        socket.emit("direct-4");
        return null;
      },
    }),
    async run(ctx) {
      const clients = await connectAll(ctx, FOUR);
      await clients[0].c.emitWithAck("do", "mixed", null);
      // with recovery every event carries an offset as its last argument: keep the names only
      const received = await logs(clients, "mixed");
      return Object.fromEntries(
        Object.entries(received).map(([name, l]) => [name, l.map((e) => (Array.isArray(e) ? { event: e[0], args: e.length - 1 } : e))]),
      );
    },
  },
  {
    name: "broadcasts do not leak across namespaces",
    setup: withActions(
      {
        go(io) {
          io.emit("main-all");
          io.to("r").emit("main-r");
          io.of("/other").emit("other-all");
          io.of("/other").to("r").emit("other-r");
          return null;
        },
        fromOther(_io, socket) {
          socket.broadcast.emit("other-broadcast");
          socket.nsp.to("r").emit("other-nsp-r");
          return null;
        },
      },
      ["/", "/other"],
    ),
    async run(ctx) {
      const clients = await connectAll(ctx, [
        { name: "a", rooms: ["r"] },
        { name: "b", rooms: [] },
        { name: "c", rooms: ["r"], nsp: "/other" },
        { name: "d", rooms: [], nsp: "/other" },
        { name: "e", rooms: ["r"], nsp: "/other" },
      ]);
      await clients[0].c.emitWithAck("do", "go", null);
      const go = await logs(clients, "go");
      await clients[2].c.emitWithAck("do", "fromOther", null);
      const fromOther = await logs(clients, "fromOther");
      fromServer0(ctx, "server0", (io) => io.of("/other").to("r").emit("other-r-from-0"), ["/", "/other"]);
      const server0 = await logs(clients, "server0");
      return { go, fromOther, server0 };
    },
  },
]);
