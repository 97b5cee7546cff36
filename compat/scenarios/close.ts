/**
 * Closing things from the server side: `io.close()` (and clients reconnecting to the restarted
 * server), `socket.disconnect(close)`, `io.disconnectSockets(close)`.
 */
import type { Server as SocketIOServer, Socket as ServerSocket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import { scenarios, Shared } from "../scenario";
import { list, maskIds, until, wsSession } from "./wire";

/** Server side: logs connections and disconnect reasons per namespace, echoes, kicks on demand. */
function closingServer(io: SocketIOServer, shared: Shared): void {
  const log = list(shared, "log");
  const wire = (nsp: string) => (socket: ServerSocket) => {
    log.push(`${nsp} connection`);
    socket.on("disconnect", (reason: string) => log.push(`${nsp} disconnect: ${reason}`));
    socket.on("echo", (x: unknown, ack: (x: unknown) => void) => ack(x));
    socket.on("kick", (close: boolean) => socket.disconnect(close));
    socket.on("join", (room: string, ack: () => void) => {
      socket.join(room);
      ack();
    });
  };
  io.on("connection", wire("/"));
  io.of("/nsp").on("connection", wire("/nsp"));
}

/** Records every disconnect reason and connect of a client socket. */
function track(c: ClientSocket, name: string, events: string[]): void {
  c.on("connect", () => events.push(`${name} connect`));
  c.on("disconnect", (reason) => events.push(`${name} disconnect: ${reason}`));
}

function connected(c: ClientSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    if (c.connected) return resolve();
    c.once("connect", () => resolve());
    c.once("connect_error", reject);
  });
}

/** A client on "/" plus a socket on "/nsp" sharing its connection (same Manager). */
async function multiplexed(
  ctx: { client(nsp?: string, opts?: object): ClientSocket },
  events: string[],
  name: string,
  node?: number,
): Promise<{ main: ClientSocket; nsp: ClientSocket }> {
  const main = ctx.client("/", { node });
  const nsp = main.io.socket("/nsp");
  track(main, `${name}/`, events);
  track(nsp, `${name}/nsp`, events);
  await Promise.all([connected(main), connected(nsp)]);
  return { main, nsp };
}

const sorted = (xs: unknown[]) => [...xs].map(String).sort();

export default scenarios("close", [
  {
    name: "io.close() then restart: clients see the disconnect, reconnect and round-trip",
    setup: closingServer,
    timeout: 20_000,
    async run(ctx) {
      const events: string[][] = [[], []];
      const clients = [0, 1].map((i) =>
        ctx.client("/", { node: i, reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 200 }),
      );
      clients.forEach((c, i) => track(c, `client${i}`, events[i]));
      await Promise.all(clients.map(connected));
      const before = await Promise.all(clients.map((c) => c.emitWithAck("echo", "before")));
      const disconnected = clients.map((c) => new Promise<void>((resolve) => c.once("disconnect", () => resolve())));
      await ctx.restart();
      await Promise.all(disconnected);
      await until(() => clients.every((c) => c.connected), 10_000);
      const after = await Promise.all(clients.map((c) => c.timeout(3_000).emitWithAck("echo", "after").catch((e: Error) => e.message)));
      return { before, events, after, serverLog: sorted(ctx.shared.log) };
    },
  },
  {
    name: "io.close() on every server: clients see a transport close, the server a shutdown",
    setup: closingServer,
    async run(ctx) {
      const events: string[] = [];
      const c = await multiplexed(ctx, events, "c");
      const gone = new Promise<void>((resolve) => c.nsp.once("disconnect", () => resolve()));
      await Promise.all(ctx.servers.map((s) => s.close()));
      await gone;
      await until(() => events.length >= 4);
      return { events: sorted(events), serverLog: sorted(ctx.shared.log), engine: c.main.io.engine.readyState };
    },
  },
  {
    name: "socket.disconnect(true) closes the whole connection",
    setup: closingServer,
    async run(ctx) {
      const events: string[] = [];
      const c = await multiplexed(ctx, events, "c");
      const gone = new Promise<void>((resolve) => c.nsp.once("disconnect", () => resolve()));
      c.main.emit("kick", true);
      await gone;
      await until(() => list(ctx.shared, "log").length >= 4);
      return { events: sorted(events), serverLog: sorted(ctx.shared.log), managerReconnecting: (c.main.io as unknown as { _reconnecting: boolean })._reconnecting };
    },
  },
  {
    name: "socket.disconnect() leaves the connection and the other namespaces alone",
    setup: closingServer,
    async run(ctx) {
      const events: string[] = [];
      const c = await multiplexed(ctx, events, "c");
      const gone = new Promise<void>((resolve) => c.main.once("disconnect", () => resolve()));
      c.main.emit("kick", false);
      await gone;
      const nspStill = await c.nsp.emitWithAck("echo", "still here");
      await until(() => list(ctx.shared, "log").length >= 3);
      return { events: sorted(events), nspStill, serverLog: sorted(ctx.shared.log), engine: c.main.io.engine.readyState };
    },
  },
  {
    name: "socket.disconnect(true|false) on the wire",
    setup: closingServer,
    async run(ctx) {
      const out: Record<string, unknown> = {};
      for (const close of [true, false]) {
        const { ws } = await wsSession(ctx.url(0));
        try {
          ws.send("40");
          ws.send("40/nsp,");
          const seen: unknown[] = [maskIds(await ws.next()), maskIds(await ws.next())];
          ws.send(`42["kick",${close}]`);
          seen.push(...(await ws.collect((m) => false, close ? 2_000 : 500)).map(maskIds));
          out[String(close)] = { seen, close: await ws.closed(300) };
        } finally {
          ws.close();
        }
      }
      await until(() => list(ctx.shared, "log").filter((l) => String(l).includes("disconnect")).length >= 3);
      out.serverLog = sorted(ctx.shared.log);
      return out;
    },
  },
  {
    name: "io.disconnectSockets(true) from one server reaches every client",
    setup: closingServer,
    async run(ctx) {
      const events: string[] = [];
      const a = await multiplexed(ctx, events, "a", 0);
      const b = await multiplexed(ctx, events, "b", ctx.nodes - 1);
      const gone = [a, b].map((c) => new Promise<void>((resolve) => c.nsp.once("disconnect", () => resolve())));
      ctx.servers[0].disconnectSockets(true);
      await Promise.all(gone);
      await until(() => list(ctx.shared, "log").filter((l) => String(l).includes("disconnect")).length >= 4);
      return { events: sorted(events), serverLog: sorted(ctx.shared.log) };
    },
  },
  {
    name: "io.disconnectSockets() and io.in(room).disconnectSockets(true) from one server",
    setup: closingServer,
    async run(ctx) {
      const events: string[] = [];
      const a = await multiplexed(ctx, events, "a", 0);
      const b = await multiplexed(ctx, events, "b", ctx.nodes - 1);
      const c = await multiplexed(ctx, events, "c", 0);
      // without close: the "/" sockets go, the "/nsp" ones stay
      const mainGone = [a, b, c].map((x) => new Promise<void>((resolve) => x.main.once("disconnect", () => resolve())));
      ctx.servers[0].disconnectSockets();
      await Promise.all(mainGone);
      const nspAlive = await Promise.all([a, b, c].map((x) => x.nsp.emitWithAck("echo", "alive")));
      // with close, in a room of /nsp: only b's connection goes
      await b.nsp.emitWithAck("join", "doomed");
      const bGone = new Promise<void>((resolve) => b.nsp.once("disconnect", () => resolve()));
      ctx.servers[0].of("/nsp").in("doomed").disconnectSockets(true);
      await bGone;
      const others = await Promise.all([a, c].map((x) => x.nsp.emitWithAck("echo", "still")));
      await until(() => list(ctx.shared, "log").filter((l) => String(l).includes("disconnect")).length >= 4);
      return { events: sorted(events), nspAlive, others, serverLog: sorted(ctx.shared.log) };
    },
  },
  {
    name: "server-side reasons for a client disconnect and a lost connection",
    setup: closingServer,
    async run(ctx) {
      const events: string[] = [];
      const a = await multiplexed(ctx, events, "a", 0);
      a.nsp.disconnect();
      await until(() => list(ctx.shared, "log").length >= 3);
      const b = await multiplexed(ctx, events, "b", ctx.nodes - 1);
      b.main.io.engine.close();
      await until(() => list(ctx.shared, "log").length >= 7);
      return { events: sorted(events), serverLog: sorted(ctx.shared.log) };
    },
  },
]);
