import type { Server } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import type { CompatContext, Shared } from "../scenario";
import { scenarios } from "../scenario";
import { waitFor } from "../../test/helpers/wait";

/**
 * Server-side cluster API (fetchSockets, RemoteSocket, socketsJoin/Leave, disconnectSockets,
 * serverSideEmit), called by the test on `ctx.servers[0]`: on "split" that is app-node 0 and the
 * sockets may be owned by app-node 1.
 */

interface Named {
  name: string;
  c: ClientSocket;
}

type AnySocket = {
  id: string;
  handshake: any;
  rooms: Set<string>;
  data: any;
};

const SPECS = [
  { name: "a", rooms: ["r1"] },
  { name: "b", rooms: ["r1", "r2"] },
  { name: "c", rooms: ["r2"] },
  { name: "d", rooms: [] as string[] },
];

/** Connects named clients (query `q`, auth `name`, `token` and `rooms`) one after the other. */
async function connectAll(ctx: CompatContext, specs = SPECS, nsp = "/"): Promise<Named[]> {
  const out: Named[] = [];
  for (const { name, rooms } of specs) {
    const c = await ctx.connect(nsp, { query: { q: `query-${name}` }, auth: { name, token: `t-${name}`, rooms } });
    out.push({ name, c });
  }
  return out;
}

/** Joins `auth.rooms`, sets `socket.data`, answers "ping" (a round trip) and "rooms". */
function basicSetup(io: Server, _shared: Shared, appIndex: number, nsps = ["/"]): void {
  for (const nsp of nsps) {
    io.of(nsp).use((socket, next) => {
      socket.data = { fromMiddleware: true };
      next();
    });
    io.of(nsp).on("connection", (socket) => {
      const { name, rooms } = socket.handshake.auth;
      socket.join(rooms ?? []);
      socket.data.name = name;
      socket.data.nested = { list: [1, "two", null], flag: false };
      socket.on("ping", (ack: () => void) => ack());
      socket.on("rooms", (ack: (r: string[]) => void) => ack(roomsOf(socket)));
      void appIndex;
    });
  }
}

function roomsOf(s: AnySocket): string[] {
  return [...s.rooms].map((r) => (r === s.id ? "<self>" : r)).sort();
}

/** What a fetched socket says, without ids, times or ports. */
function describeSocket(s: AnySocket) {
  const { t, ...query } = s.handshake.query ?? {};
  return {
    name: s.data?.name,
    query,
    hasCacheBuster: typeof t === "string" || undefined,
    auth: s.handshake.auth,
    rooms: roomsOf(s),
    data: s.data,
    handshake: {
      keys: Object.keys(s.handshake).sort(),
      headerKeys: Object.keys(s.handshake.headers ?? {}).sort(),
      urlPath: String(s.handshake.url).split("?")[0],
      secure: s.handshake.secure,
      xdomain: s.handshake.xdomain,
      issuedType: typeof s.handshake.issued,
      timeType: typeof s.handshake.time,
      addressType: typeof s.handshake.address,
    },
  };
}

function byName<T extends { name?: string }>(list: T[]): T[] {
  return [...list].sort((x, y) => String(x.name).localeCompare(String(y.name)));
}

async function fetchDescribed(io: Server, op = (i: Server) => i.fetchSockets() as Promise<AnySocket[]>) {
  return byName((await op(io)).map(describeSocket));
}

function names(list: AnySocket[]): string[] {
  return list.map((s) => s.data?.name as string).sort();
}

/** Until every app-node's adapter of `nsp` knows the others (always true on one server). */
async function peersKnown(ctx: CompatContext, nsp = "/"): Promise<void> {
  const known = async () => (await Promise.all(ctx.servers.map((s) => s.of(nsp).adapter.serverCount()))).every((n) => n >= ctx.servers.length);
  await waitFor(known, { what: `the adapters of ${nsp} to know each other` });
}

/** Resolves with the disconnect reason of each named client, once `count` of them disconnected. */
function disconnections(clients: Named[], count: number): Promise<Record<string, string>> {
  return new Promise((resolve) => {
    const reasons: Record<string, string> = {};
    for (const { name, c } of clients) {
      c.once("disconnect", (reason) => {
        reasons[name] = reason;
        if (Object.keys(reasons).length === count) resolve(Object.fromEntries(Object.entries(reasons).sort()));
      });
    }
  });
}

export default scenarios("cluster-api", [
  {
    name: "fetchSockets: every socket with handshake, auth, rooms and data",
    setup: basicSetup,
    async run(ctx) {
      const clients = await connectAll(ctx);
      const ids = new Map(clients.map(({ name, c }) => [c.id, name]));
      const fetched = (await ctx.servers[0].fetchSockets()) as AnySocket[];
      return {
        count: fetched.length,
        idsAreTheClients: fetched.every((s) => ids.get(s.id) === s.data.name),
        sockets: byName(fetched.map(describeSocket)),
      };
    },
  },
  {
    name: "fetchSockets from every app-node sees the same sockets and data",
    setup(io, shared, i) {
      basicSetup(io, shared, i);
      io.on("connection", (socket) => {
        socket.data.edge = { n: null, list: [1, null, 2.5, -3, "", true], deep: { a: { b: { c: "d" } } }, empty: {}, emptyList: [] };
      });
    },
    async run(ctx) {
      await connectAll(ctx);
      const views = await Promise.all(ctx.servers.map((s) => fetchDescribed(s)));
      return { fromServer0: views[0], sameOnEveryServer: views.every((v) => JSON.stringify(v) === JSON.stringify(views[0])) };
    },
  },
  {
    name: "io.in(room).fetchSockets, except and combinations",
    setup: basicSetup,
    async run(ctx) {
      await connectAll(ctx);
      const io = ctx.servers[0];
      return {
        inR1: names(await io.in("r1").fetchSockets()),
        toR2: names(await io.to("r2").fetchSockets()),
        inR1R2: names(await io.in(["r1", "r2"]).fetchSockets()),
        exceptR1: names(await io.except("r1").fetchSockets()),
        inR2ExceptR1: names(await io.in("r2").except("r1").fetchSockets()),
        nowhere: names(await io.in("nowhere").fetchSockets()),
        ofMain: names(await io.of("/").in("r1").fetchSockets()),
      };
    },
  },
  {
    name: "RemoteSocket emit reaches its client, with and without ack",
    setup: basicSetup,
    async run(ctx) {
      const clients = await connectAll(ctx);
      const got = clients.map(
        ({ name, c }) =>
          new Promise((resolve) => {
            c.on("direct", (...args: unknown[]) => resolve({ name, args }));
            c.on("ask", (q: string, ack: (a: string) => void) => ack(`${name} answers ${q}`));
          }),
      );
      const fetched = (await ctx.servers[0].fetchSockets()) as Array<AnySocket & { emit: Function; timeout(ms: number): any }>;
      for (const s of fetched) s.emit("direct", `for ${s.data.name}`, { n: 1 });
      const direct = byName((await Promise.all(got)) as Array<{ name: string }>);
      const answers = (
        await Promise.all(fetched.map((s) => s.timeout(5_000).emitWithAck("ask", `q-${s.data.name}`)))
      ).sort();
      return { direct, answers };
    },
  },
  {
    name: "RemoteSocket join and leave, seen by the socket and by later fetches",
    setup: basicSetup,
    async run(ctx) {
      const clients = await connectAll(ctx);
      const io = ctx.servers[0];
      const fetched = (await io.fetchSockets()) as Array<AnySocket & { join(r: string | string[]): unknown; leave(r: string): unknown }>;
      for (const s of fetched) {
        s.join(`joined-${s.data.name}`);
        if (s.data.name === "b") {
          s.join(["x", "y"]);
          s.leave("r1");
        }
      }
      const after = byName((await io.fetchSockets()).map((s) => ({ name: s.data.name, rooms: roomsOf(s) })));
      // and what each socket says itself, asked through its own connection
      const own: Record<string, string[]> = {};
      for (const { name, c } of clients) own[name] = await c.emitWithAck("rooms");
      return { after, own, inX: names(await io.in("x").fetchSockets()) };
    },
  },
  {
    name: "RemoteSocket disconnect, and disconnect(true)",
    setup(io, shared, i) {
      basicSetup(io, shared, i);
      io.on("connection", (socket) => socket.on("disconnect", (reason) => (shared[`server:${socket.data.name}`] = reason)));
    },
    async run(ctx) {
      const clients = await connectAll(ctx);
      const io = ctx.servers[0];
      const gone = disconnections(clients, 2);
      for (const s of await io.fetchSockets()) {
        if (s.data.name === "a") s.disconnect();
        if (s.data.name === "c") s.disconnect(true);
      }
      const client = await gone;
      const server = {
        a: await waitFor(() => ctx.shared["server:a"]),
        c: await waitFor(() => ctx.shared["server:c"]),
      };
      const stillThere = names(await io.fetchSockets());
      for (const { name, c } of clients) if (name === "b" || name === "d") await c.emitWithAck("ping");
      return { client, server, stillThere };
    },
  },
  {
    name: "socketsJoin and socketsLeave with rooms and except",
    setup: basicSetup,
    async run(ctx) {
      const clients = await connectAll(ctx);
      const io = ctx.servers[0];
      io.socketsJoin("everyone");
      io.in("r1").socketsJoin(["j1", "j2"]);
      io.except("r1").socketsJoin("j3");
      io.in("r2").except("r1").socketsJoin("j4");
      io.in("j1").socketsLeave("j2");
      io.in("r2").socketsLeave(["r2", "everyone"]);
      // each socket answers through its own connection, after a round trip from app-node 0
      await io.fetchSockets();
      const own: Record<string, string[]> = {};
      for (const { name, c } of clients) own[name] = await c.emitWithAck("rooms");
      const fetched = byName((await io.fetchSockets()).map((s) => ({ name: s.data.name, rooms: roomsOf(s) })));
      return { own, fetched };
    },
  },
  {
    name: "socketsJoin then an immediate broadcast to that room",
    setup: basicSetup,
    async run(ctx) {
      const clients = await connectAll(ctx);
      const io = ctx.servers[0];
      const got = clients.map(
        ({ name, c }) =>
          new Promise((resolve) => {
            const log: string[] = [];
            c.onAny((ev: string) => {
              if (ev === "barrier") resolve([name, log]);
              else log.push(ev);
            });
          }),
      );
      io.in("r1").socketsJoin("fresh");
      io.to("fresh").emit("to-fresh");
      io.in("r2").socketsLeave("r2");
      io.to("r2").emit("to-r2-after-leave");
      io.emit("barrier");
      return Object.fromEntries((await Promise.all(got)) as Array<[string, string[]]>);
    },
  },
  {
    name: "disconnectSockets then an immediate broadcast: the disconnected sockets do not get it",
    setup: basicSetup,
    async run(ctx) {
      const clients = await connectAll(ctx);
      const io = ctx.servers[0];
      const got = clients.map(
        ({ name, c }) =>
          new Promise((resolve) => {
            const log: string[] = [];
            c.onAny((ev: string) => log.push(ev));
            c.on("barrier", () => resolve([name, log]));
            c.on("disconnect", (reason) => resolve([name, [...log, reason]]));
          }),
      );
      io.in("r1").disconnectSockets();
      io.emit("after-disconnect");
      io.emit("barrier");
      return Object.fromEntries((await Promise.all(got)) as Array<[string, string[]]>);
    },
  },
  {
    name: "fetchSockets right after socketsJoin sees the new rooms",
    setup: basicSetup,
    async run(ctx) {
      await connectAll(ctx);
      const io = ctx.servers[0];
      io.socketsJoin("new-room");
      const inNew = names(await io.in("new-room").fetchSockets());
      io.in("r1").socketsLeave("new-room");
      const afterLeave = names(await io.in("new-room").fetchSockets());
      return { inNew, afterLeave };
    },
  },
  {
    name: "disconnectSockets() and disconnectSockets(true): client and server reasons",
    setup(io, shared, i) {
      basicSetup(io, shared, i);
      io.on("connection", (socket) => socket.on("disconnect", (reason) => (shared[`server:${socket.data.name}`] = reason)));
    },
    async run(ctx) {
      const clients = await connectAll(ctx);
      const io = ctx.servers[0];
      // r2 = b and c; then, with the connection closed, those outside r1 (d); then all the rest (a)
      const first = disconnections(clients, 2);
      io.in("r2").disconnectSockets();
      const soft = await first;
      const rest = clients.filter(({ name }) => !(name in soft));
      const second = disconnections(rest, 1);
      io.except("r1").disconnectSockets(true);
      const hard = await second;
      const server = {
        b: await waitFor(() => ctx.shared["server:b"]),
        c: await waitFor(() => ctx.shared["server:c"]),
        d: await waitFor(() => ctx.shared["server:d"]),
      };
      const left = names(await io.fetchSockets());
      await clients[0].c.emitWithAck("ping");
      const third = disconnections(clients.slice(0, 1), 1);
      io.disconnectSockets();
      return { soft, hard, server, left, last: await third };
    },
  },
  {
    name: "serverSideEmit without ack reaches every other server once, never the sender",
    setup(io, shared, appIndex) {
      shared.received ??= [];
      io.on("hello", (...args: unknown[]) => shared.received.push({ appIndex, args }));
      io.on("done", () => shared.received.push({ appIndex, done: true }));
      io.on("connection", (socket) => {
        socket.on("trigger", (ack: () => void) => {
          shared.handlerSender = appIndex;
          io.serverSideEmit("hello", "from a socket handler", appIndex);
          io.serverSideEmit("done");
          ack();
        });
      });
    },
    async run(ctx) {
      const others = ctx.servers.length - 1;
      const io = ctx.servers[0];
      io.serverSideEmit("hello", 1, { two: [2] }, "three");
      io.serverSideEmit("done");
      // serverSideEmit messages keep their order: "done" arriving means "hello" has
      await waitFor(() => ctx.shared.received.filter((r: { done?: boolean }) => r.done).length >= others || others === 0);
      const fromServer0 = ctx.shared.received.splice(0);
      const c = await ctx.connect();
      await c.emitWithAck("trigger");
      await waitFor(() => ctx.shared.received.filter((r: { done?: boolean }) => r.done).length >= others || others === 0);
      const fromHandler = ctx.shared.received.splice(0);
      const check = (list: Array<{ appIndex: number; args?: unknown[] }>, sender: number | undefined) => ({
        senderReceivedIt: list.some((r) => r.appIndex === sender),
        receiversAreTheOtherServers:
          list.filter((r) => r.args).length === others && list.filter((r) => r.args).every((r) => r.appIndex !== sender),
      });
      return {
        fromServer0: {
          ...check(fromServer0, 0),
          argsIntact: fromServer0.filter((r: { args?: unknown[] }) => r.args).every((r: { args: unknown[] }) => JSON.stringify(r.args) === JSON.stringify([1, { two: [2] }, "three"])),
        },
        fromHandler: check(fromHandler, ctx.shared.handlerSender),
      };
    },
  },
  {
    name: "serverSideEmit with ack on a single server",
    setup(io, shared, appIndex) {
      io.on("ping", (what: string, ack: (r: string) => void) => ack(`${what}: pong from server ${appIndex}`));
      io.on("connection", (socket) => socket.on("ping", (ack: () => void) => ack()));
    },
    async run(ctx) {
      const io = ctx.servers[0];
      let result: unknown = "callback not called";
      const called = new Promise<void>((resolve) =>
        io.serverSideEmit("ping", "p", (err: Error | null, responses: unknown[]) => {
          result = { err: err && err.message, responses };
          resolve();
        }),
      );
      // on one plain Socket.IO server the callback may never come: a client round trip decides
      const c = await ctx.connect();
      if (ctx.servers.length > 1) await called;
      await c.emitWithAck("ping");
      return result;
    },
  },
  {
    name: "io.of(nsp).fetchSockets returns the namespace's sockets only",
    setup(io, shared, i) {
      basicSetup(io, shared, i, ["/", "/nsp"]);
    },
    async run(ctx) {
      await peersKnown(ctx, "/nsp");
      await connectAll(ctx, SPECS.slice(0, 2), "/");
      await connectAll(ctx, [{ name: "n1", rooms: ["r1"] }, { name: "n2", rooms: [] }], "/nsp");
      const io = ctx.servers[0];
      return {
        nsp: byName((await io.of("/nsp").fetchSockets()).map(describeSocket)),
        nspR1: names(await io.of("/nsp").in("r1").fetchSockets()),
        main: names(await io.fetchSockets()),
        mainR1: names(await io.in("r1").fetchSockets()),
      };
    },
  },
]);
