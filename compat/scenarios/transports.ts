/**
 * Engine.IO transports as the application sees them: polling, websocket, the upgrade from one to
 * the other, and the server options that restrict them.
 */
import type { Server as SocketIOServer, Socket as ServerSocket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import { CompatContext, scenarios, Shared } from "../scenario";
import { AnyEmitter, once } from "../../test/helpers/wait";
import { connected } from "./_helpers";
import { engineUrl, httpRequest, list, RawPolling, RawWs, statusAndBody, until, wsOutcome } from "./wire";

/** Server side: records the transport at connection and answers "which" with the current one. */
function transportServer(io: SocketIOServer, shared: Shared, opts: { events?: boolean } = {}): void {
  const log = list(shared, "log");
  io.on("connection", (socket: ServerSocket) => {
    log.push(`connection on ${socket.conn.transport.name}`);
    if (opts.events) {
      socket.conn.on("upgrading", (t: { name: string }) => log.push(`upgrading to ${t.name}`));
      socket.conn.on("upgrade", (t: { name: string }) => log.push(`upgrade to ${t.name}, now ${socket.conn.transport.name}`));
    }
    socket.on("which", (ack: (name: string) => void) => ack(socket.conn.transport.name));
  });
}

function engineOf(c: ClientSocket): { transport: { name: string }; once(ev: string, fn: (...a: any[]) => void): void } {
  return c.io.engine as unknown as { transport: { name: string }; once(ev: string, fn: (...a: any[]) => void): void };
}

/**
 * A connected client with the upgrades its handshake offered: with none offered the client never
 * probes, so what it runs on once connected is what it stays on (no time to wait out).
 */
async function connectedWithUpgrades(ctx: CompatContext, opts: Record<string, unknown> = {}): Promise<{ c: ClientSocket; upgrades: string[] }> {
  const c = ctx.client("/", opts);
  const handshake = once<[{ upgrades: string[] }]>(c.io.engine as unknown as AnyEmitter, "handshake");
  await connected(c);
  return { c, upgrades: (await handshake)[0].upgrades };
}

function outcome(c: ClientSocket): Promise<string> {
  return new Promise((resolve) => {
    c.once("connect", () => resolve("connected"));
    c.once("connect_error", (err) => resolve(`connect_error: ${err.message}`));
  });
}

export default scenarios("transports", [
  {
    name: "polling only",
    setup: (io, shared) => transportServer(io, shared),
    async run(ctx) {
      // a polling-only client never probes: the later round trip is on polling too
      const c = await ctx.connect("/", { transports: ["polling"] });
      const server = await c.emitWithAck("which");
      return { client: engineOf(c).transport.name, server, later: await c.emitWithAck("which"), log: ctx.shared.log };
    },
  },
  {
    name: "websocket only",
    setup: (io, shared) => transportServer(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      return { client: engineOf(c).transport.name, server: await c.emitWithAck("which"), log: ctx.shared.log };
    },
  },
  {
    name: "default client: polling, then upgraded to websocket on both sides",
    setup: (io, shared) => transportServer(io, shared),
    async run(ctx) {
      const c = ctx.client();
      const engine = engineOf(c);
      const atOpen = engine.transport.name;
      const upgraded = new Promise<string>((resolve) => engine.once("upgrade", (t: { name: string }) => resolve(t.name)));
      const connected = await outcome(c);
      const clientUpgrade = await upgraded;
      return {
        atOpen,
        connected,
        clientUpgrade,
        client: engine.transport.name,
        server: await c.emitWithAck("which"),
      };
    },
  },
  {
    name: "upgrade after connection: server sees upgrading and upgrade on socket.conn",
    setup: (io, shared) => transportServer(io, shared, { events: true }),
    async run(ctx) {
      // no automatic upgrade: it is started by hand once the socket is connected, so the order of
      // "connection" and "upgrade" on the server does not depend on timing
      const c = await ctx.connect("/", { upgrade: false });
      const engine = engineOf(c);
      const before = { client: engine.transport.name, server: await c.emitWithAck("which") };
      const clientEvents: string[] = [];
      const upgraded = new Promise<void>((resolve) => {
        engine.once("upgrading", (t: { name: string }) => clientEvents.push(`upgrading to ${t.name}`));
        engine.once("upgrade", (t: { name: string }) => {
          clientEvents.push(`upgrade to ${t.name}`);
          resolve();
        });
      });
      (c.io.engine as unknown as { _probe(name: string): void })._probe("websocket");
      await upgraded;
      const after = { client: engine.transport.name, server: await c.emitWithAck("which") };
      return { before, clientEvents, after, log: ctx.shared.log };
    },
  },
  {
    name: "upgrade: server events on socket.conn only (upgrade event and transport name)",
    setup(io, shared) {
      const log = list(shared, "log");
      io.on("connection", (socket: ServerSocket) => {
        log.push(`connection on ${socket.conn.transport.name}`);
        socket.conn.once("upgrade", (t: { name: string }) => log.push(`upgrade to ${t.name}, now ${socket.conn.transport.name}`));
        socket.on("which", (ack: (name: string) => void) => ack(socket.conn.transport.name));
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { upgrade: false });
      const engine = engineOf(c);
      const upgraded = new Promise<void>((resolve) => engine.once("upgrade", () => resolve()));
      (c.io.engine as unknown as { _probe(name: string): void })._probe("websocket");
      await upgraded;
      const server = await c.emitWithAck("which");
      await until(() => list(ctx.shared, "log").length >= 2);
      return { server, log: ctx.shared.log };
    },
  },
  {
    name: "allowUpgrades: false keeps a default client on polling",
    serverOptions: { allowUpgrades: false },
    setup: (io, shared) => transportServer(io, shared),
    async run(ctx) {
      const { c, upgrades } = await connectedWithUpgrades(ctx);
      return { upgrades, client: engineOf(c).transport.name, server: await c.emitWithAck("which"), log: ctx.shared.log };
    },
  },
  {
    name: "upgradeTimeout: a probe never completed is dropped, the session stays on polling",
    serverOptions: { upgradeTimeout: 300 },
    setup(io, shared) {
      transportServer(io, shared);
      io.on("connection", (socket) => socket.on("disconnect", (r: string) => list(shared, "log").push(`disconnect: ${r}`)));
    },
    async run(ctx) {
      const base = ctx.url(0);
      const p = await RawPolling.open(base);
      await p.post(["40"]);
      const connected = (await p.getPackets(1)).map((m) => String(m).slice(0, 2));
      const ws = new RawWs(engineUrl(base.replace(/^http/, "ws"), `EIO=4&transport=websocket&sid=${encodeURIComponent(p.sid)}`));
      try {
        const opened = await ws.opened;
        ws.send("2probe");
        const probe = await ws.next();
        // no "5" (upgrade) packet: the server gives up after upgradeTimeout
        const wsClose = await ws.closed(3_000);
        await p.post(['421["which"]']);
        const packets: unknown[] = [];
        while (!packets.some((m) => String(m).startsWith("431"))) {
          const got = await p.get();
          if (!Array.isArray(got)) {
            packets.push(got);
            break;
          }
          packets.push(...got.filter((m) => m !== "6"));
        }
        return { connected, opened, probe, wsClose, packets, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  {
    name: "server transports [websocket]: polling clients are refused, websocket ones connect",
    serverOptions: { transports: ["websocket"] },
    setup: (io, shared) => transportServer(io, shared),
    async run(ctx) {
      const out: Record<string, unknown> = {};
      out.rawPolling = statusAndBody(await httpRequest(engineUrl(ctx.url(0), "EIO=4&transport=polling")));
      out.pollingClient = await outcome(ctx.client("/", { transports: ["polling"] }));
      out.defaultClient = await outcome(ctx.client("/"));
      const ws = await ctx.connect("/", { transports: ["websocket"] });
      out.websocketClient = await ws.emitWithAck("which");
      const all = ctx.client("/", { tryAllTransports: true });
      out.tryAllTransports = await outcome(all);
      out.tryAllTransportsOn = all.connected ? await all.emitWithAck("which") : undefined;
      out.log = ctx.shared.log;
      return out;
    },
  },
  {
    name: "server transports [polling]: websocket clients are refused, default clients stay on polling",
    serverOptions: { transports: ["polling"] },
    setup: (io, shared) => transportServer(io, shared),
    async run(ctx) {
      const out: Record<string, unknown> = {};
      out.rawWebsocket = await wsOutcome(engineUrl(ctx.url(0).replace(/^http/, "ws"), "EIO=4&transport=websocket"));
      out.websocketClient = await outcome(ctx.client("/", { transports: ["websocket"] }));
      const { c, upgrades } = await connectedWithUpgrades(ctx);
      out.defaultClient = { upgrades, client: engineOf(c).transport.name, server: await c.emitWithAck("which") };
      out.log = ctx.shared.log;
      return out;
    },
  },
]);
