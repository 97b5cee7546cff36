import { Manager, Socket as ClientSocket } from "socket.io-client";
import { scenarios } from "../scenario";
import { delay } from "../../test/helpers/wait";
import { ask, connected, refused } from "./_helpers";

function withError(message: string, data?: unknown): Error {
  const err = new Error(message) as Error & { data?: unknown };
  if (data !== undefined) err.data = data;
  return err;
}

export default scenarios("middleware", [
  {
    name: "io.use: middlewares run in registration order, before connection, with the socket not yet connected",
    setup(io) {
      for (const name of ["first", "second", "third"]) {
        io.use((socket, next) => {
          (socket.data.order ??= []).push(name);
          if (name === "first") {
            socket.data.inMiddleware = {
              connected: socket.connected,
              idType: typeof socket.id,
              rooms: socket.rooms.size,
              nsp: socket.nsp.name,
              auth: socket.handshake.auth,
            };
          }
          next();
        });
      }
      io.on("connection", (socket) => {
        socket.data.order.push("connection");
        socket.on("order", (ack: (o: unknown) => void) => ack(socket.data));
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { auth: { who: "me" } });
      return ask(c, "order");
    },
  },
  {
    name: "io.use error with data: the client gets connect_error with message and data, later middlewares and connection do not run",
    setup(io, shared) {
      shared.later = 0;
      shared.connections = 0;
      io.use((_socket, next) => next(withError("not authorized", { code: 401, details: ["token", "expired"] })));
      io.use((_socket, next) => {
        shared.later++;
        next();
      });
      io.on("connection", () => shared.connections++);
    },
    async run(ctx) {
      const c = ctx.client("/");
      const err = await refused(c);
      return { err, later: ctx.shared.later, connections: ctx.shared.connections };
    },
  },
  {
    name: "io.use error without data: connect_error carries the message only",
    setup(io) {
      io.use((_socket, next) => next(new Error("plain refusal")));
    },
    async run(ctx) {
      return refused(ctx.client("/"));
    },
  },
  {
    name: "per-namespace middleware: io.use runs for '/', io.of('/admin').use for '/admin' only",
    setup(io, shared) {
      shared.runs = [];
      io.use((socket, next) => {
        shared.runs.push(`main mw for ${socket.nsp.name}`);
        next();
      });
      io.of("/admin").use((socket, next) => {
        shared.runs.push(`admin mw for ${socket.nsp.name}`);
        if ((socket.handshake.auth as { admin?: boolean }).admin) next();
        else next(withError("admins only", { nsp: socket.nsp.name }));
      });
      io.of("/admin").on("connection", (socket) => socket.on("nsp", (ack: (n: string) => void) => ack(socket.nsp.name)));
      io.on("connection", (socket) => socket.on("nsp", (ack: (n: string) => void) => ack(socket.nsp.name)));
    },
    async run(ctx) {
      const main = await ctx.connect("/");
      const mainNsp = await ask(main, "nsp");
      const admin = await ctx.connect("/admin", { auth: { admin: true } });
      const adminNsp = await ask(admin, "nsp");
      const refusedAdmin = await refused(ctx.client("/admin", { auth: { admin: false } }));
      return { mainNsp, adminNsp, refusedAdmin, runs: ctx.shared.runs };
    },
  },
  {
    name: "a namespace middleware refusing one namespace leaves the connection's other namespaces connected",
    setup(io) {
      io.of("/private").use((_socket, next) => next(withError("private", { reason: "nope" })));
      io.on("connection", (socket) => socket.on("echo", (x: string, ack: (r: string) => void) => ack(x)));
    },
    async run(ctx) {
      const m = new Manager(ctx.url(0), { reconnection: false });
      try {
        const main = await connected(m.socket("/"));
        const err = await refused(m.socket("/private"));
        const echo = await ask(main, "echo", "still here");
        const state = { main: main.connected, private: m.socket("/private").connected };
        main.disconnect();
        return { err, echo, state };
      } finally {
        (m as unknown as { engine?: { close(): void } }).engine?.close();
      }
    },
  },
  {
    name: "async middleware: awaited work before next(), and an async refusal",
    setup(io) {
      io.use(async (socket, next) => {
        await delay(20);
        socket.data.user = await Promise.resolve(`user:${(socket.handshake.auth as { name?: string }).name}`);
        next();
      });
      io.use(async (socket, next) => {
        await delay(5);
        if ((socket.handshake.auth as { name?: string }).name === "mallory") next(withError("banned", { who: "mallory" }));
        else next();
      });
      io.on("connection", (socket) => socket.on("user", (ack: (u: string) => void) => ack(socket.data.user)));
    },
    async run(ctx) {
      const alice = await ctx.connect("/", { auth: { name: "alice" } });
      const user = await ask(alice, "user");
      const mallory = await refused(ctx.client("/", { auth: { name: "mallory" } }));
      return { user, mallory };
    },
  },
  {
    name: "middleware reads socket.handshake.auth and query: token accepted, wrong token refused",
    setup(io) {
      io.use((socket, next) => {
        const { token } = socket.handshake.auth as { token?: string };
        if (token !== "s3cret") return next(withError("invalid token", { got: token ?? null }));
        socket.data.room = socket.handshake.query.room;
        next();
      });
      io.on("connection", (socket) =>
        socket.on("info", (ack: (i: unknown) => void) => ack({ auth: socket.handshake.auth, room: socket.data.room })),
      );
    },
    async run(ctx) {
      const ok = await ctx.connect("/", { auth: { token: "s3cret" }, query: { room: "lobby" } });
      const info = await ask(ok, "info");
      const wrong = await refused(ctx.client("/", { auth: { token: "guess" } }));
      const none = await refused(ctx.client("/"));
      return { info, wrong, none };
    },
  },
  {
    name: "socket.use: packet middlewares run in order and can modify the arguments",
    setup(io) {
      io.on("connection", (socket) => {
        const seen: string[] = [];
        socket.use((packet, next) => {
          seen.push(`first ${packet[0]}`);
          if (packet[0] === "greet" && typeof packet[1] === "string") packet[1] = packet[1].toUpperCase();
          next();
        });
        socket.use((packet, next) => {
          seen.push(`second ${packet[0]}`);
          if (packet[0] === "greet") packet.splice(2, 0, "added");
          next();
        });
        socket.on("greet", (...args: unknown[]) => {
          const ack = args.pop() as (r: unknown) => void;
          ack({ args, seen: [...seen] });
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      return ask(c, "greet", "hello", 42);
    },
  },
  {
    name: "socket.use error: the server socket emits error, the event handler does not run, the socket stays connected",
    setup(io) {
      io.on("connection", (socket) => {
        const log: string[] = [];
        socket.use(([event], next) => {
          if (event === "forbidden") return next(withError("forbidden event", { event }));
          next();
        });
        socket.on("error", (err: Error & { data?: unknown }) => {
          log.push(`error: ${err.message} ${JSON.stringify(err.data)}`);
          socket.emit("server-error", err.message);
        });
        socket.on("forbidden", () => log.push("forbidden handler ran"));
        socket.on("log", (ack: (l: unknown) => void) => ack({ log: [...log], connected: socket.connected }));
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      const serverError = new Promise((resolve) => c.once("server-error", resolve));
      c.emit("forbidden", 1);
      const message = await serverError;
      return { message, server: await ask(c, "log"), clientConnected: c.connected };
    },
  },
  {
    name: "middleware that never calls next: the connection is closed after connectTimeout",
    serverOptions: { connectTimeout: 300 },
    setup(io, shared) {
      shared.calls = 0;
      io.use(() => {
        shared.calls++;
      });
      io.on("connection", () => (shared.connected = true));
    },
    async run(ctx) {
      const c = ctx.client("/");
      const events: string[] = [];
      c.on("connect", () => events.push("connect"));
      c.on("connect_error", (err) => events.push(`connect_error ${err.message}`));
      const closed = new Promise<string>((resolve) => c.io.on("close", (reason: string) => resolve(reason)));
      c.on("disconnect", (reason) => events.push(`disconnect ${reason}`));
      const managerClose = await closed;
      await delay(50);
      return { managerClose, events, calls: ctx.shared.calls, connected: ctx.shared.connected === true };
    },
  },
]);
