/**
 * Details where a drop-in most easily drifts from plain Socket.IO (issue 8, "embedded default"):
 * the engine's options, per-message compression reaching the transport, what the Socket.IO path
 * answers for a file that is not the client bundle, volatile binary events while the transport is
 * busy, a new server on the port of a closed one, and the ack timeout error.
 */
import type { Server as SocketIOServer } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import { scenarios } from "../scenario";
import { ask, connected } from "./_helpers";
import { waitFor } from "../../test/helpers/wait";
import { httpRequest, RawPolling, statusAndBody } from "./wire";

/** The engine options an app reads most, as `io.engine.opts` shows them. */
const ENGINE_KEYS = ["path", "pingInterval", "pingTimeout", "maxHttpBufferSize", "transports", "allowUpgrades", "upgradeTimeout", "perMessageDeflate", "httpCompression", "cookie", "allowEIO3", "connectTimeout"];

function engineOpts(io: SocketIOServer): unknown {
  const opts = (io.engine as unknown as { opts?: Record<string, unknown> }).opts;
  if (!opts) return "no opts";
  return Object.fromEntries(ENGINE_KEYS.map((k) => [k, opts[k] === undefined ? "undefined" : opts[k]]));
}

/** Bytes the client's TCP socket read while `during` ran (websocket transport). */
async function bytesRead(c: ClientSocket, during: () => Promise<unknown>): Promise<number> {
  const tcp = () => (c.io.engine.transport as unknown as { ws: { _socket: { bytesRead: number } } }).ws._socket;
  const before = tcp().bytesRead;
  await during();
  return tcp().bytesRead - before;
}

const BIG = "socket.io ".repeat(10_000);

/** Sends `n` volatile binary events in one go (the transport is busy after the first), then a plain marker. */
function volatileBurst(emit: (event: string, ...args: unknown[]) => void, n: number): void {
  for (let i = 0; i < n; i++) emit("vol", i, Buffer.from([i, i + 1, i + 2]));
  emit("burst-end");
}

/** Counts the volatile events a client gets before the marker. */
function collectBurst(c: ClientSocket): Promise<number[]> {
  const got: number[] = [];
  const onVol = (i: number) => got.push(i);
  c.on("vol", onVol);
  return new Promise((resolve) =>
    c.once("burst-end", () => {
      c.off("vol", onVol);
      resolve(got);
    }),
  );
}

export default [
  ...scenarios("server-api", [
    {
      name: "io.engine.opts: the Engine.IO options given to the Server, with Engine.IO's defaults",
      serverOptions: { pingInterval: 4_000, maxHttpBufferSize: 5_000, transports: ["websocket", "polling"] },
      setup(io, shared, i) {
        if (i === 0) shared.opts = engineOpts(io);
      },
      async run(ctx) {
        return ctx.shared.opts;
      },
    },
  ]),
  ...scenarios("transports", [
    {
      name: "per-message compression: compress defaults to true and reaches the websocket; compress(false) does not compress",
      serverOptions: { perMessageDeflate: { threshold: 0 } },
      setup(io) {
        io.on("connection", (socket) => {
          socket.on("big", (how: string, cb: () => void) => {
            if (how === "default") socket.emit("payload", BIG);
            else if (how === "on") socket.compress(true).emit("payload", BIG);
            else socket.compress(false).emit("payload", BIG);
            cb();
          });
          socket.on("big-broadcast", (how: string, cb: () => void) => {
            if (how === "default") io.emit("payload", BIG);
            else io.compress(false).emit("payload", BIG);
            cb();
          });
        });
      },
      async run(ctx) {
        const c = await ctx.connect("/", { transports: ["websocket"], node: 0 });
        const out: Record<string, boolean> = {};
        for (const how of ["default", "on", "off"]) {
          const n = await bytesRead(c, async () => {
            const arrived = new Promise((r) => c.once("payload", r));
            await ask(c, "big", how);
            await arrived;
          });
          out[how] = n < BIG.length / 4;
        }
        for (const how of ["default", "off"]) {
          const n = await bytesRead(c, async () => {
            const arrived = new Promise((r) => c.once("payload", r));
            await ask(c, "big-broadcast", how);
            await arrived;
          });
          out[`broadcast-${how}`] = n < BIG.length / 4;
        }
        return { compressed: out };
      },
    },
    {
      name: "per-message compression over long-polling: compress(true) by default gzips the response, compress(false) does not",
      serverOptions: { httpCompression: { threshold: 0 }, transports: ["polling"] },
      setup(io, shared) {
        io.on("connection", (socket) => {
          shared.packetOptions ??= [];
          socket.conn.on("packetCreate", (p: { type: string; options?: unknown }) => {
            if (p.type === "message") shared.packetOptions.push(p.options ?? "none");
          });
          socket.on("big", (how: string) => {
            if (how === "default") socket.emit("payload", BIG);
            else socket.compress(false).emit("payload", BIG);
          });
        });
      },
      async run(ctx) {
        const p = await RawPolling.open(ctx.url(0));
        await p.post(["40"]);
        await p.getPackets(1);
        const out: Record<string, unknown> = {};
        for (const how of ["default", "off"]) {
          await p.post([`42["big","${how}"]`]);
          const res = await httpRequest(p.url, { headers: { "accept-encoding": "gzip" } });
          out[how] = res === "no response" ? res : { status: res.status, encoding: res.headers["content-encoding"] ?? "identity" };
        }
        return { out, packetOptions: ctx.shared.packetOptions };
      },
    },
    {
      name: "volatile binary events over websocket: one of a burst is sent while the transport is busy, to one socket and broadcast",
      setup(io) {
        io.on("connection", (socket) => {
          socket.join("room");
          // the burst goes out before the ack: the ack would make the transport busy first
          socket.on("burst", (how: string, cb: () => void) => {
            if (how === "socket") volatileBurst((e, ...a) => (e === "vol" ? socket.volatile.emit(e, ...a) : socket.emit(e, ...a)), 5);
            else if (how === "all") volatileBurst((e, ...a) => (e === "vol" ? io.volatile.emit(e, ...a) : io.emit(e, ...a)), 5);
            else volatileBurst((e, ...a) => (e === "vol" ? io.to("room").volatile.emit(e, ...a) : io.to("room").emit(e, ...a)), 5);
            cb();
          });
        });
      },
      async run(ctx) {
        const c = await ctx.connect("/", { transports: ["websocket"], node: 0 });
        const out: Record<string, number[]> = {};
        for (const how of ["socket", "all", "room"]) {
          const burst = collectBurst(c);
          await ask(c, "burst", how);
          out[how] = await burst;
        }
        return out;
      },
    },
  ]),
  ...scenarios("http", [
    {
      name: "a file under the Socket.IO path that is not the client bundle",
      async run(ctx) {
        const base = `${ctx.url(0)}/socket.io/`;
        const out: Record<string, unknown> = {};
        for (const f of ["index.html", "foo.txt", "socket.io.js.txt", "client-dist/socket.io.js", "socket.io.js/x", "socket.io.min.js.gz"]) {
          out[f] = statusAndBody(await httpRequest(base + f));
        }
        return out;
      },
    },
  ]),
  ...scenarios("close", [
    {
      name: "io.close(), then a new Server on the same port: clients connect and emit again",
      setup(io) {
        io.on("connection", (socket) => socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x)));
      },
      timeout: 20_000,
      async run(ctx) {
        const first = await ctx.connect("/", { node: 0 });
        const before = await ask(first, "echo", "before");
        const old = ctx.servers[0] as SocketIOServer & { httpServer?: { address(): { port: number } | null } };
        const address = old.httpServer?.address();
        let after: unknown[];
        if (address) {
          // a single server: close it and make a new one of the same kind on its port
          const port = (address as { port: number }).port;
          const opts = { ...(old as unknown as { opts: Record<string, unknown> }).opts };
          await old.close();
          const Ctor = old.constructor as new (port: number, opts: Record<string, unknown>) => SocketIOServer;
          const io = new Ctor(port, opts);
          io.on("connection", (socket) => socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x)));
          try {
            await (io as unknown as { ready?: () => Promise<void> }).ready?.();
            after = await Promise.all(
              ["websocket", "polling"].map(async (t) => {
                const c = await connected(ctx.client("/", { node: 0, transports: [t] }));
                return ask(c, "echo", `after-${t}`);
              }),
            );
          } finally {
            await io.close();
          }
        } else {
          // split: app-nodes have no HTTP server; the io-nodes are restarted on their ports
          await ctx.restart();
          after = await Promise.all(
            ["websocket", "polling"].map(async (t) => {
              const c = await connected(ctx.client("/", { node: 0, transports: [t] }));
              return ask(c, "echo", `after-${t}`);
            }),
          );
        }
        await waitFor(() => !first.connected, { what: "the first client to be disconnected" });
        return { before, after };
      },
    },
  ]),
  ...scenarios("emit", [
    {
      name: "socket.timeout(ms).emitWithAck() rejects with Socket.IO's timeout error when the client does not answer",
      setup(io, shared) {
        io.on("connection", async (socket) => {
          try {
            await socket.timeout(200).emitWithAck("no-answer", 1);
            shared.result = "resolved";
          } catch (err) {
            const e = err as Error;
            shared.result = { message: e.message, name: e.name, isError: e instanceof Error, ctor: e.constructor.name };
          }
          socket.emit("done");
        });
      },
      async run(ctx) {
        const c = ctx.client("/", { node: 0 });
        const answered: unknown[] = [];
        c.on("no-answer", (...args: unknown[]) => answered.push(args.length));
        await new Promise((r) => c.once("done", r));
        return { result: ctx.shared.result, clientGot: answered };
      },
    },
  ]),
];
