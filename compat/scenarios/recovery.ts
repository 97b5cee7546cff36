/**
 * Connection state recovery (`connectionStateRecovery`): a client that loses its connection comes
 * back with the same socket id, rooms and data, and gets what was broadcast to it meanwhile. On
 * "split" the session may come back through the other io-node, to the other app-node.
 */
import type { Server as SocketIOServer, Socket as ServerSocket, ServerOptions } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import type { CompatContext, Shared } from "../scenario";
import { scenarios } from "../scenario";
import { list, until } from "./wire";
import { delay as sleep, holds } from "../../test/helpers/wait";

const FAST_RECONNECT = { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 100, randomizationFactor: 0 };

/**
 * Server side of the recovery scenarios, on namespace `nsp`:
 * - a middleware counting its calls (`shared.middleware`);
 * - a new socket joins "room1", gets `data` and a "welcome" (which gives the client its first offset);
 * - when a socket goes, broadcasts are sent that it misses: some for it, some not;
 * - "state" answers what the socket looks like now.
 */
function recoveringServer(nspName = "/", opts: { welcome?: boolean } = {}) {
  return (io: SocketIOServer, shared: Shared) => {
    const log = list(shared, "log");
    const ids = list(shared, "ids");
    const nsp = io.of(nspName);
    nsp.use((_socket, next) => {
      shared.middleware = ((shared.middleware as number | undefined) ?? 0) + 1;
      next();
    });
    nsp.on("connection", (socket: ServerSocket) => {
      const n = ids.push(socket.id);
      const state = () => ({
        recovered: socket.recovered,
        sameIdAsFirst: ids[0] === socket.id,
        rooms: [...socket.rooms].filter((r) => r !== socket.id).sort(),
        data: socket.data,
      });
      log.push({ connection: n, ...state() });
      if (!socket.recovered) {
        socket.join("room1");
        socket.data = { user: "alice", n };
        if (opts.welcome !== false) socket.emit("welcome", n);
      }
      socket.on("state", (ack: (s: unknown) => void) => ack(state()));
      socket.on("disconnect", (reason: string) => {
        log.push(`disconnect: ${reason}`);
        // what the socket misses while it is away (the k-th time); always two arguments: with
        // recovery, Socket.IO appends the offset (an id) as a third
        const k = (shared.away = ((shared.away as number | undefined) ?? 0) + 1);
        nsp.to("room1").emit("missed", `room1 #1 (away ${k})`, 1);
        nsp.to("other").emit("missed", `other room (away ${k})`, 2);
        nsp.except("room1").emit("missed", `all except room1 (away ${k})`, 3);
        nsp.volatile.to("room1").emit("missed", `volatile (away ${k})`, 4);
        nsp.to("room1").emit("missed", `room1 #2 (away ${k})`, { nested: [1, 2] });
        nsp.to("room2").emit("missed", `room2 (away ${k})`, 5);
        nsp.to(socket.id).emit("missed", `to its own id (away ${k})`, 7);
        nsp.emit("missed", `everyone (away ${k})`, 6);
      });
    });
  };
}

/** A client that records what it receives. */
function recording(c: ClientSocket, got: unknown[]): void {
  c.on("welcome", (n: number) => got.push(`welcome ${n}`));
  c.on("missed", (...args: unknown[]) => got.push(args.slice(0, 2)));
  c.on("disconnect", (reason: string) => got.push(`disconnect: ${reason}`));
  c.on("connect", () => got.push(`connect recovered=${c.recovered}`));
}

function nextConnect(c: ClientSocket): Promise<string> {
  return new Promise((resolve) => {
    c.once("connect", () => resolve("connect"));
    c.once("connect_error", (err) => resolve(`connect_error: ${err.message}`));
  });
}

function nextDisconnect(c: ClientSocket): Promise<void> {
  return new Promise((resolve) => c.once("disconnect", () => resolve()));
}

/** Connects, waits for the welcome (the first offset), and returns the first id. */
async function firstSession(ctx: CompatContext, c: ClientSocket, got: unknown[], welcome = true): Promise<string | undefined> {
  const connected = await nextConnect(c);
  if (connected !== "connect") throw new Error(connected);
  if (welcome) await until(() => got.some((g) => typeof g === "string" && g.startsWith("welcome")));
  await until(() => list(ctx.shared, "log").length >= 1);
  return c.id;
}

/** Waits until the server saw the `k`-th loss and sent what the client misses. */
async function awayLongEnough(ctx: CompatContext, k = 1): Promise<void> {
  await until(() => ((ctx.shared.away as number | undefined) ?? 0) >= k);
}

/** A broadcast to "room1" from the last app-node (the other one on "split") while the client is away. */
async function fromLastServer(ctx: CompatContext): Promise<void> {
  ctx.servers[ctx.servers.length - 1].to("room1").emit("missed", "from the last app-node", 8);
  // lets the broadcast reach the recovery log before the client comes back
  await sleep(100);
}

/** What the client and the server say after the reconnection. */
async function afterReconnect(ctx: CompatContext, c: ClientSocket, got: unknown[], firstId: string | undefined) {
  // the missed packets come before "connect"; give non-recovered sessions a moment anyway
  await until(() => got.some((g) => Array.isArray(g) && String(g[0]).startsWith("everyone")), 500);
  const state = await c.timeout(3_000).emitWithAck("state");
  return {
    got,
    client: { recovered: c.recovered, sameId: c.id === firstId },
    state,
    log: ctx.shared.log,
    middleware: ctx.shared.middleware,
  };
}

function csr(opts: Partial<NonNullable<ServerOptions["connectionStateRecovery"]>>): Partial<ServerOptions> {
  return { connectionStateRecovery: { maxDisconnectionDuration: 10_000, ...opts } };
}

export default scenarios("recovery", [
  {
    name: "lost connection, automatic reconnection: recovered with id, rooms, data, missed packets (skipMiddlewares)",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0, ...FAST_RECONNECT });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      const back = nextConnect(c);
      c.io.engine.close();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "skipMiddlewares: false runs the middlewares again and still recovers",
    serverOptions: csr({ skipMiddlewares: false }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0, ...FAST_RECONNECT });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      const back = nextConnect(c);
      c.io.engine.close();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "manual reconnection after the server noticed the loss",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0 });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      const gone = nextDisconnect(c);
      c.io.engine.close();
      await gone;
      await awayLongEnough(ctx);
      const back = nextConnect(c);
      c.connect();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "a ping timeout is recoverable too",
    serverOptions: { ...csr({ skipMiddlewares: true }), pingInterval: 200, pingTimeout: 200 },
    setup: recoveringServer(),
    timeout: 15_000,
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0, transports: ["websocket"] });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      // the client stops answering pings: the server closes with "ping timeout"
      const engine = c.io.engine as unknown as { _sendPacket(...a: unknown[]): void };
      const sendPacket = engine._sendPacket.bind(engine);
      engine._sendPacket = (type: unknown, ...rest: unknown[]) => {
        if (type !== "pong") sendPacket(type, ...rest);
      };
      await until(() => list(ctx.shared, "log").some((l) => typeof l === "string" && l.startsWith("disconnect")), 5_000);
      await awayLongEnough(ctx);
      if (c.connected) c.io.engine.close();
      engine._sendPacket = sendPacket;
      const back = nextConnect(c);
      c.connect();
      await back;
      // the client's own view of the loss depends on which side noticed first: not compared
      const result = await afterReconnect(ctx, c, got, firstId);
      return { ...result, got: got.filter((g) => !(typeof g === "string" && g.startsWith("disconnect"))) };
    },
  },
  {
    name: "a client-side disconnect() is not recoverable",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0 });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      c.disconnect();
      await awayLongEnough(ctx);
      const back = nextConnect(c);
      c.connect();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "after maxDisconnectionDuration the client gets a new session",
    serverOptions: csr({ maxDisconnectionDuration: 1_000, skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0 });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      const gone = nextDisconnect(c);
      c.io.engine.close();
      await gone;
      await awayLongEnough(ctx);
      await sleep(2_000);
      const back = nextConnect(c);
      c.connect();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "recovery on a custom namespace",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer("/chat"),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/chat", { node: 0, ...FAST_RECONNECT });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      const back = nextConnect(c);
      c.io.engine.close();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "the reconnection lands on the other io-node (same Manager, new URL)",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0 });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      const gone = nextDisconnect(c);
      c.io.engine.close();
      await gone;
      await awayLongEnough(ctx);
      await fromLastServer(ctx);
      // the Manager opens its next Engine.IO connection on this URL
      (c.io as unknown as { uri: string }).uri = ctx.url(ctx.nodes - 1) + "/";
      const back = nextConnect(c);
      c.connect();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "a new client on the other io-node presenting the first one's pid and offset",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const first = ctx.client("/", { node: 0 });
      recording(first, got);
      const firstId = await firstSession(ctx, first, got);
      const { _pid: pid, _lastOffset: offset } = first as unknown as { _pid: string; _lastOffset: string };
      const gone = nextDisconnect(first);
      first.io.engine.close();
      await gone;
      await awayLongEnough(ctx);
      await fromLastServer(ctx);
      // the broadcasts sent when the attempts left are in the log before the last try
      await awayLongEnough(ctx, 4);
      await sleep(50);
      const second = ctx.client("/", { node: ctx.nodes - 1, autoConnect: false });
      Object.assign(second, { _pid: pid, _lastOffset: offset });
      const got2: unknown[] = [];
      recording(second, got2);
      const back = nextConnect(second);
      second.connect();
      await back;
      const result = await afterReconnect(ctx, second, got2, firstId);
      return { ...result, firstGot: got };
    },
  },
  {
    name: "two losses in a row: recovered both times, missed packets each time",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0, ...FAST_RECONNECT });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      for (const k of [1, 2]) {
        const back = nextConnect(c);
        c.io.engine.close();
        await back;
        await until(() => got.some((g) => Array.isArray(g) && g[0] === `everyone (away ${k})`), 2_000);
      }
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "no offset received yet: the reconnection is a new session",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer("/", { welcome: false }),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0 });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got, false);
      const gone = nextDisconnect(c);
      c.io.engine.close();
      await gone;
      await awayLongEnough(ctx);
      const back = nextConnect(c);
      c.connect();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
  {
    name: "unknown offset or pid: not recovered; the right pid and offset still recover afterwards",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const first = ctx.client("/", { node: 0 });
      recording(first, got);
      const firstId = await firstSession(ctx, first, got);
      const { _pid: pid, _lastOffset: offset } = first as unknown as { _pid: string; _lastOffset: string };
      const gone = nextDisconnect(first);
      first.io.engine.close();
      await gone;
      await awayLongEnough(ctx);
      const attempts: unknown[] = [];
      for (const [p, o] of [
        [pid, "0-1"],
        [pid, "nope"],
        ["unknown-pid", offset],
      ]) {
        const other = ctx.client("/", { node: ctx.nodes - 1, autoConnect: false });
        Object.assign(other, { _pid: p, _lastOffset: o });
        const otherGot: unknown[] = [];
        recording(other, otherGot);
        other.connect();
        await nextConnect(other);
        await until(() => otherGot.some((g) => typeof g === "string" && g.startsWith("welcome")));
        attempts.push({ recovered: other.recovered, sameId: other.id === firstId, otherGot });
        other.disconnect();
      }
      // the broadcasts sent when the attempts left are in the log before the last try
      await awayLongEnough(ctx, 4);
      await sleep(50);
      const second = ctx.client("/", { node: ctx.nodes - 1, autoConnect: false });
      Object.assign(second, { _pid: pid, _lastOffset: offset });
      const got2: unknown[] = [];
      recording(second, got2);
      const back = nextConnect(second);
      second.connect();
      await back;
      const result = await afterReconnect(ctx, second, got2, firstId);
      return { ...result, attempts };
    },
  },
  {
    name: "rooms joined from another app-node (socketsJoin) are restored",
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0 });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      ctx.servers[ctx.servers.length - 1].in(c.id!).socketsJoin("room2");
      const joined = await holds(async () => ((await c.emitWithAck("state")) as { rooms: string[] }).rooms.includes("room2"), { timeout: 2_000, every: 20 });
      const gone = nextDisconnect(c);
      c.io.engine.close();
      await gone;
      await awayLongEnough(ctx);
      const back = nextConnect(c);
      c.connect();
      await back;
      return { joined, ...(await afterReconnect(ctx, c, got, firstId)) };
    },
  },
  {
    name: "with recovery enabled, emits keep their order against an ack",
    serverOptions: csr({ skipMiddlewares: true }),
    setup(io) {
      io.on("connection", (socket) => {
        socket.emit("event", "hello");
        socket.on("go", (ack: (x: string) => void) => {
          socket.emit("event", "before the ack");
          io.to(socket.id).emit("event", "room emit before the ack");
          ack("ack");
          socket.emit("event", "after the ack");
        });
      });
    },
    async run(ctx) {
      const seen: string[] = [];
      const c = ctx.client("/", { node: 0 });
      c.on("connect", () => seen.push("connect"));
      c.on("event", (x: string) => seen.push(x));
      await until(() => seen.includes("hello"));
      c.emit("go", (x: string) => seen.push(x));
      await until(() => seen.includes("after the ack") && seen.includes("ack"));
      return seen;
    },
  },
  {
    name: "with recovery enabled, an emit just before socket.disconnect() reaches the client",
    serverOptions: csr({ skipMiddlewares: true }),
    setup(io) {
      io.on("connection", (socket) => {
        socket.on("bye", () => {
          socket.emit("event", "last words");
          socket.disconnect();
        });
      });
    },
    async run(ctx) {
      const seen: string[] = [];
      const c = await ctx.connect("/", { node: 0 });
      c.on("event", (x: string) => seen.push(x));
      c.on("disconnect", (reason) => seen.push(`disconnect: ${reason}`));
      c.emit("bye");
      await until(() => seen.some((x) => x.startsWith("disconnect")));
      // anything late would be dropped by the client anyway; a moment to be sure
      await sleep(200);
      return seen;
    },
  },
  ...(["polling", "websocket"] as const).map((transport) => ({
    name: `${transport} only: the client leaves its io-node and comes back to the same one, recovered with what it missed`,
    serverOptions: csr({ skipMiddlewares: true }),
    setup: recoveringServer(),
    async run(ctx: CompatContext) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0, transports: [transport] });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      const gone = nextDisconnect(c);
      c.io.engine.close();
      await gone;
      await awayLongEnough(ctx);
      // binary and many packets while away (from the other app-node too: "the reconnection lands on the other io-node")
      ctx.servers[0].to("room1").emit("missed", "binary", Buffer.from([1, 2, 3]));
      for (let i = 0; i < 20; i++) ctx.servers[0].emit("missed", `burst ${i}`, i);
      await sleep(100);
      const back = nextConnect(c);
      c.connect();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  })),
  {
    name: "without connectionStateRecovery a reconnection is a new session",
    setup: recoveringServer(),
    async run(ctx) {
      const got: unknown[] = [];
      const c = ctx.client("/", { node: 0, ...FAST_RECONNECT });
      recording(c, got);
      const firstId = await firstSession(ctx, c, got);
      const back = nextConnect(c);
      c.io.engine.close();
      await back;
      return afterReconnect(ctx, c, got, firstId);
    },
  },
]);
