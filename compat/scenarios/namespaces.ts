import type { Namespace, Server } from "socket.io";
import { Manager, Socket as ClientSocket } from "socket.io-client";
import type { CompatContext } from "../scenario";
import { scenarios } from "../scenario";
import { ask, connected, refused } from "./_helpers";

/** The Manager's socket for `nsp`, connected (Manager sockets auto-connect once; again after a disconnect). */
function join(m: Manager, nsp: string): Promise<ClientSocket> {
  const socket = m.socket(nsp);
  if (!socket.active) socket.connect();
  return connected(socket);
}

/** A Manager of its own (several namespaces on one connection), closed when the run ends. */
async function withManager<T>(ctx: CompatContext, node: number, fn: (m: Manager) => Promise<T>): Promise<T> {
  const manager = new Manager(ctx.url(node), { reconnection: false });
  try {
    return await fn(manager);
  } finally {
    (manager as unknown as { engine?: { close(): void } }).engine?.close();
  }
}

/** Namespaces currently registered on a server (`io._nsps`), sorted. */
function nsps(io: Server): string[] {
  return [...(io as unknown as { _nsps: Map<string, Namespace> })._nsps.keys()].sort();
}

export default scenarios("namespaces", [
  {
    name: "static namespace io.of('/a'): the socket joins /a only, with its own socket id",
    setup(io) {
      io.on("connection", (socket) => socket.on("where", (ack: (f: unknown) => void) => ack({ nsp: socket.nsp.name })));
      io.of("/a").on("connection", (socket) => {
        socket.on("where", (ack: (f: unknown) => void) =>
          ack({
            nsp: socket.nsp.name,
            isOfA: socket.nsp === io.of("/a"),
            sizeA: io.of("/a").sockets.size,
            sizeMain: io.of("/").sockets.size,
            inA: io.of("/a").sockets.has(socket.id),
            inMain: io.of("/").sockets.has(socket.id),
          }),
        );
      });
    },
    async run(ctx) {
      const a = await ctx.connect("/a");
      return { client: { nsp: (a as unknown as { nsp: string }).nsp, connected: a.connected }, server: await ask(a, "where") };
    },
  },
  {
    name: "io.of('/a').sockets.size after connects and a disconnect on one connection",
    setup(io) {
      io.on("connection", (socket) =>
        socket.on("sizes", (ack: (f: unknown) => void) =>
          ack({ main: io.of("/").sockets.size, a: io.of("/a").sockets.size, b: io.of("/b").sockets.size }),
        ),
      );
      io.of("/a");
      io.of("/b");
    },
    async run(ctx) {
      return withManager(ctx, 0, async (m) => {
        const main = await join(m, "/");
        const before = await ask(main, "sizes");
        const a = await join(m, "/a");
        const b = await join(m, "/b");
        const withAll = await ask(main, "sizes");
        a.disconnect();
        const afterA = await ask(main, "sizes");
        b.disconnect();
        const afterB = await ask(main, "sizes");
        main.disconnect();
        return { before, withAll, afterA, afterB };
      });
    },
  },
  {
    name: "io.of(nsp).sockets.size counts the clients connected to this server",
    setup(io) {
      io.of("/count").on("connection", (socket) =>
        socket.on("size", (ack: (n: number) => void) => ack(io.of("/count").sockets.size)),
      );
    },
    async run(ctx) {
      const clients = [];
      for (let i = 0; i < 4; i++) clients.push(await ctx.connect("/count"));
      return Promise.all(clients.map((c) => ask(c, "size")));
    },
  },
  {
    name: "new_namespace event: fired for static and dynamic namespaces, not for '/'",
    setup(io, shared, appIndex) {
      const seen: string[] = [];
      io.on("new_namespace", (nsp: Namespace) => seen.push(nsp.name));
      io.of("/static");
      const parent = io.of(/^\/dyn-\d+$/);
      parent.on("connection", (socket) => socket.on("seen", (ack: (s: string[]) => void) => ack([...seen])));
      io.of("/static").on("connection", (socket) => socket.on("seen", (ack: (s: string[]) => void) => ack([...seen])));
    },
    async run(ctx) {
      const s = await ctx.connect("/static", { node: 0 });
      const atStatic = await ask(s, "seen");
      const d = await ctx.connect("/dyn-7", { node: 0 });
      return { atStatic, atDynamic: await ask(d, "seen") };
    },
  },
  {
    name: "dynamic namespace by regex: matching names connect, io.of(regex).on('connection') sees them",
    setup(io) {
      const parent = io.of(/^\/dyn-\d+$/);
      parent.on("connection", (socket) => {
        socket.on("facts", (ack: (f: unknown) => void) =>
          ack({
            nsp: socket.nsp.name,
            registered: nsps(io).includes(socket.nsp.name),
            parentName: parent.name.startsWith("/_"),
            isChildOfParent: (parent as unknown as { children: Set<Namespace> }).children.has(socket.nsp),
            childIsOfName: io.of(socket.nsp.name) === socket.nsp,
          }),
        );
      });
    },
    async run(ctx) {
      const d1 = await ctx.connect("/dyn-1");
      const d42 = await ctx.connect("/dyn-42");
      return { d1: await ask(d1, "facts"), d42: await ask(d42, "facts") };
    },
  },
  {
    name: "dynamic namespace by regex: a name that does not match gets connect_error Invalid namespace",
    setup(io) {
      io.of(/^\/dyn-\d+$/).on("connection", () => undefined);
    },
    async run(ctx) {
      return { abc: await refused(ctx.client("/dyn-abc")), nested: await refused(ctx.client("/dyn-1/x")) };
    },
  },
  {
    name: "dynamic namespace by function: allowed, denied (Invalid namespace), error (Invalid namespace), auth given",
    setup(io, shared) {
      shared.calls = [];
      io.of((name, auth, next) => {
        shared.calls.push({ name, auth });
        if (name === "/fn-error") return next(new Error("boom"), true);
        next(null, name.startsWith("/fn-") && (auth as { allow?: boolean }).allow === true);
      }).on("connection", (socket) => socket.on("nsp", (ack: (n: string) => void) => ack(socket.nsp.name)));
    },
    async run(ctx) {
      const ok = await ctx.connect("/fn-ok", { auth: { allow: true } });
      const okNsp = await ask(ok, "nsp");
      const denied = await refused(ctx.client("/fn-denied", { auth: { allow: false } }));
      const error = await refused(ctx.client("/fn-error", { auth: { allow: true } }));
      const other = await refused(ctx.client("/other", { auth: { allow: true } }));
      return { okNsp, denied, error, other, calls: ctx.shared.calls };
    },
  },
  {
    name: "dynamic namespace by function: joining an existing child again does not call the function again",
    setup(io, shared) {
      shared.calls = 0;
      io.on("connection", (socket) => socket.on("sync", (ack: () => void) => ack()));
      io.of((name, _auth, next) => {
        shared.calls++;
        next(null, name === "/fn-shared");
      }).on("connection", (socket) => socket.on("nsp", (ack: (n: string) => void) => ack(socket.nsp.name)));
    },
    async run(ctx) {
      // two clients on the same io-node's app-node is not guaranteed on split: one connection, two sockets
      return withManager(ctx, 0, async (m) => {
        // the main namespace keeps the connection open (and so on the same app-node on split)
        const main = await join(m, "/");
        const first = await join(m, "/fn-shared");
        first.disconnect();
        // a round trip first: a CONNECT in the same batch as the DISCONNECT would find the old socket
        await ask(main, "sync");
        const second = await join(m, "/fn-shared");
        const nsp = await ask(second, "nsp");
        second.disconnect();
        main.disconnect();
        return { nsp, calls: ctx.shared.calls };
      });
    },
  },
  {
    name: "unknown namespace: connect_error Invalid namespace, without data",
    setup(io) {
      io.of("/known");
    },
    async run(ctx) {
      const c = ctx.client("/unknown");
      const err = await refused(c);
      const known = await ctx.connect("/known");
      return { err, knownConnected: known.connected };
    },
  },
  {
    name: "parent namespace: parent.use runs for children, parent.emit reaches children sockets",
    setup(io, shared) {
      shared.mw = [];
      const parent = io.of(/^\/room-\d+$/);
      parent.use((socket, next) => {
        shared.mw.push(socket.nsp.name);
        next();
      });
      parent.on("connection", (socket) => {
        socket.on("shout", (text: string, ack: () => void) => {
          parent.emit("shouted", text, socket.nsp.name);
          ack();
        });
      });
    },
    async run(ctx) {
      return withManager(ctx, 0, async (m) => {
        const r1 = await join(m, "/room-1");
        const r2 = await join(m, "/room-2");
        const got: string[] = [];
        const both = new Promise<void>((resolve) => {
          const on = (who: string) => (text: string, from: string) => {
            got.push(`${who} got ${text} from ${from}`);
            if (got.length === 2) resolve();
          };
          r1.on("shouted", on("room-1"));
          r2.on("shouted", on("room-2"));
        });
        await ask(r1, "shout", "hello");
        await both;
        r1.disconnect();
        r2.disconnect();
        return { middleware: [...ctx.shared.mw].sort(), received: got.sort() };
      });
    },
  },
  {
    name: "parent namespace: parent.use error refuses the child connection with the error",
    setup(io) {
      const parent = io.of(/^\/locked-\d+$/);
      parent.use((socket, next) => {
        const err = new Error("locked") as Error & { data?: unknown };
        err.data = { nsp: socket.nsp.name };
        next(err);
      });
      parent.on("connection", () => undefined);
    },
    async run(ctx) {
      return refused(ctx.client("/locked-3"));
    },
  },
  {
    name: "cleanupEmptyChildNamespaces: the child leaves io._nsps after its last socket leaves, and comes back",
    serverOptions: { cleanupEmptyChildNamespaces: true },
    setup(io, shared) {
      const created: string[] = [];
      io.on("new_namespace", (nsp: Namespace) => created.push(nsp.name));
      const parent = io.of(/^\/tmp-\d+$/);
      parent.on("connection", (socket) => {
        socket.on("disconnect", () => {
          // the namespace is already cleaned up when "disconnect" fires
          (shared.atDisconnect ??= []).push(nsps(io).includes(socket.nsp.name));
        });
      });
      io.on("connection", (socket) =>
        socket.on("state", (ack: (s: unknown) => void) =>
          ack({
            nsps: nsps(io).filter((n) => !n.startsWith("/_")),
            children: (parent as unknown as { children: Set<Namespace> }).children.size,
            created: [...created],
          }),
        ),
      );
    },
    async run(ctx) {
      return withManager(ctx, 0, async (m) => {
        const main = await join(m, "/");
        const initial = await ask(main, "state");
        const t1 = await join(m, "/tmp-1");
        const withChild = await ask(main, "state");
        t1.disconnect();
        const afterLeave = await ask(main, "state");
        const again = await join(m, "/tmp-1");
        const back = await ask(main, "state");
        again.disconnect();
        const final = await ask(main, "state");
        main.disconnect();
        return { initial, withChild, afterLeave, back, final, atDisconnect: ctx.shared.atDisconnect };
      });
    },
  },
  {
    name: "dynamic child namespace: nsp.emit from one client's handler reaches every client of the child",
    setup(io) {
      io.of(/^\/chat-\d+$/).on("connection", (socket) => {
        socket.on("announce", (text: string, ack: () => void) => {
          socket.nsp.emit("news", text);
          ack();
        });
      });
    },
    async run(ctx) {
      const clients: ClientSocket[] = [];
      for (let i = 0; i < 4; i++) clients.push(await ctx.connect("/chat-1"));
      const heard = (text: string) =>
        Promise.all(clients.map((c) => new Promise<string>((resolve) => c.once("news", (t: string) => resolve(t)))));
      const first = heard("from first");
      await ask(clients[0], "announce", "from first");
      const fromFirst = await first;
      const last = heard("from last");
      await ask(clients[3], "announce", "from last");
      return { fromFirst, fromLast: await last };
    },
  },
  {
    name: "cleanupEmptyChildNamespaces: a child namespace created again after cleanup broadcasts to all its clients",
    serverOptions: { cleanupEmptyChildNamespaces: true },
    setup(io) {
      io.of(/^\/tmp-\d+$/).on("connection", (socket) => {
        socket.on("announce", (text: string, ack: () => void) => {
          socket.nsp.emit("news", text);
          ack();
        });
      });
    },
    async run(ctx) {
      const round = async (label: string) => {
        const clients: ClientSocket[] = [];
        for (let i = 0; i < 4; i++) clients.push(await ctx.connect("/tmp-1"));
        const heard = Promise.all(
          clients.map((c) => new Promise<string>((resolve) => c.once("news", (t: string) => resolve(t)))),
        );
        await ask(clients[0], "announce", label);
        const got = await heard;
        for (const c of clients) c.disconnect();
        return got;
      };
      const first = await round("first");
      // the server drops the child once its sockets are gone; wait until every app-node processed the leaves
      await new Promise((r) => setTimeout(r, 300));
      return { first, second: await round("second") };
    },
  },
  {
    name: "without cleanupEmptyChildNamespaces the empty child namespace stays",
    setup(io) {
      const parent = io.of(/^\/tmp-\d+$/);
      parent.on("connection", () => undefined);
      io.on("connection", (socket) =>
        socket.on("state", (ack: (s: unknown) => void) => ack(nsps(io).filter((n) => !n.startsWith("/_")))),
      );
    },
    async run(ctx) {
      return withManager(ctx, 0, async (m) => {
        const main = await join(m, "/");
        const t1 = await join(m, "/tmp-1");
        const withChild = await ask(main, "state");
        t1.disconnect();
        const afterLeave = await ask(main, "state");
        main.disconnect();
        return { withChild, afterLeave };
      });
    },
  },
  {
    name: "multiplexing: io(url + '/a') and io(url + '/b') share one Manager and one connection",
    setup(io) {
      const facts = (socket: import("socket.io").Socket) => (ack: (f: unknown) => void) =>
        ack({
          nsp: socket.nsp.name,
          id: socket.id,
          conn: (socket.conn as unknown as { id: string }).id,
          namespacesOnConnection: [...(socket.client as unknown as { nsps: Map<string, unknown> }).nsps.keys()].sort(),
        });
      io.of("/a").on("connection", (socket) => socket.on("facts", facts(socket)));
      io.of("/b").on("connection", (socket) => socket.on("facts", facts(socket)));
    },
    async run(ctx) {
      // forceNew: false uses socket.io-client's manager cache, as `io(url + "/a")` does in an app
      const a = ctx.client("/a", { forceNew: false, node: 0 });
      const b = ctx.client("/b", { forceNew: false, node: 0 });
      await Promise.all([connected(a), connected(b)]);
      const fa = await ask(a, "facts");
      const fb = await ask(b, "facts");
      const engineId = (a.io as unknown as { engine: { id: string } }).engine.id;
      return {
        sameManager: a.io === b.io,
        nsps: [fa.nsp, fb.nsp],
        sameConnection: fa.conn === fb.conn && fa.conn === engineId,
        distinctSocketIds: fa.id !== fb.id && fa.id === a.id && fb.id === b.id,
        namespacesOnConnection: fb.namespacesOnConnection,
      };
    },
  },
  {
    name: "multiplexing with an explicit Manager: sockets for '/', '/a' and '/b' on one connection, one leaving keeps the others",
    setup(io) {
      for (const name of ["/", "/a", "/b"]) {
        io.of(name).on("connection", (socket) => {
          socket.on("echo", (x: string, ack: (r: string) => void) => ack(`${socket.nsp.name}:${x}`));
        });
      }
    },
    async run(ctx) {
      return withManager(ctx, 0, async (m) => {
        const [main, a, b] = await Promise.all(["/", "/a", "/b"].map((n) => join(m, n)));
        const first = await Promise.all([ask(main, "echo", "1"), ask(a, "echo", "1"), ask(b, "echo", "1")]);
        a.disconnect();
        const second = await Promise.all([ask(main, "echo", "2"), ask(b, "echo", "2")]);
        const state = { main: main.connected, a: a.connected, b: b.connected };
        main.disconnect();
        b.disconnect();
        return { first, second, state };
      });
    },
  },
]);
