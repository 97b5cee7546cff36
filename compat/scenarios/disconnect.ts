import type { Server, Socket as ServerSocket } from "socket.io";
import { Manager, Socket as ClientSocket } from "socket.io-client";
import type { Shared } from "../scenario";
import { scenarios } from "../scenario";
import { ask, connected } from "./_helpers";
import { waitFor } from "../../test/helpers/wait";

/** The parts of the client's Engine.IO socket these scenarios poke at. */
interface ClientEngine {
  id: string;
  transport: { name: string; ws?: { send(data: string): void } };
  close(): void;
  write(msg: string): void;
  _sendPacket(type: string, data?: unknown, options?: unknown, fn?: unknown): void;
  once(event: string, fn: (...args: any[]) => void): void;
}

function engineOf(c: ClientSocket): ClientEngine {
  return (c.io as unknown as { engine: ClientEngine }).engine;
}

/** The reason of the client's next "disconnect". */
function clientDisconnect(c: ClientSocket): Promise<string> {
  return new Promise((resolve) => c.once("disconnect", (reason) => resolve(reason)));
}

/**
 * Records every server socket's "disconnecting" and "disconnect" in `shared.log` (by namespace),
 * and gives each socket the triggers the scenarios use.
 */
function recordDisconnects(io: Server, shared: Shared, nsps: string[] = ["/"]): void {
  shared.log ??= [];
  for (const name of nsps) {
    io.of(name).on("connection", (socket: ServerSocket) => {
      socket.on("disconnecting", (reason: string) => shared.log.push(`${name} disconnecting: ${reason}`));
      socket.on("disconnect", (reason: string) => shared.log.push(`${name} disconnect: ${reason}`));
      socket.on("error", (err: Error) => shared.log.push(`${name} error: ${err.message}`));
      socket.on("kick", () => socket.disconnect());
      socket.on("kick-hard", () => socket.disconnect(true));
      socket.on("close-engine", () => socket.conn.close());
      socket.on("shutdown", () => void io.close());
      socket.on("sync", (ack: () => void) => ack());
    });
  }
}

/** Waits until the server logged `n` "disconnect" entries, then returns the log. */
async function serverLog(shared: Shared, n = 1): Promise<string[]> {
  await waitFor(() => shared.log.filter((l: string) => l.includes(" disconnect: ")).length >= n, { what: "server disconnect" });
  return [...shared.log];
}

export default scenarios("disconnect", [
  {
    name: "server namespace disconnect: socket.disconnect() on the server; the client sees io server disconnect",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect();
      const client = clientDisconnect(c);
      c.emit("kick");
      const reason = await client;
      return { client: { reason, connected: c.connected, active: c.active }, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "client namespace disconnect: socket.disconnect() on the client; the client sees io client disconnect",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect();
      const client = clientDisconnect(c);
      c.disconnect();
      const reason = await client;
      return { client: { reason, connected: c.connected, active: c.active }, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "transport close: the client closes its engine (websocket)",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const client = clientDisconnect(c);
      engineOf(c).close();
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "transport close: the client closes its engine (polling)",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["polling"] });
      const client = clientDisconnect(c);
      engineOf(c).close();
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "transport close: the client closes its engine after upgrading to websocket",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = ctx.client("/");
      const upgraded = new Promise<void>((resolve) => engineOf(c).once("upgrade", () => resolve()));
      await connected(c);
      await upgraded;
      const client = clientDisconnect(c);
      engineOf(c).close();
      return { transport: engineOf(c).transport.name, client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "server shutting down: io.close() disconnects the socket; the client sees transport close",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const client = clientDisconnect(c);
      c.emit("shutdown");
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "socket.disconnect(true): every namespace of the connection is disconnected and the connection closes",
    setup: (io, shared) => recordDisconnects(io, shared, ["/", "/other"]),
    async run(ctx) {
      const m = new Manager(ctx.url(0), { reconnection: false });
      try {
        const main = await connected(m.socket("/"));
        const other = await connected(m.socket("/other"));
        const reasons = Promise.all([clientDisconnect(main), clientDisconnect(other)]);
        const managerClose = new Promise<string>((resolve) => m.once("close", (reason: string) => resolve(reason)));
        main.emit("kick-hard");
        const [mainReason, otherReason] = await reasons;
        const server = await serverLog(ctx.shared, 2);
        return { client: { mainReason, otherReason, managerClose: await managerClose }, server: server.sort() };
      } finally {
        (m as unknown as { engine?: { close(): void } }).engine?.close();
      }
    },
  },
  {
    name: "socket.disconnect() on one namespace keeps the connection and the other namespaces",
    setup: (io, shared) => recordDisconnects(io, shared, ["/", "/other"]),
    async run(ctx) {
      const m = new Manager(ctx.url(0), { reconnection: false });
      try {
        const main = await connected(m.socket("/"));
        const other = await connected(m.socket("/other"));
        const reason = clientDisconnect(other);
        other.emit("kick");
        const otherReason = await reason;
        await ask(main, "sync");
        const server = await serverLog(ctx.shared);
        return { otherReason, mainConnected: main.connected, server };
      } finally {
        (m as unknown as { engine?: { close(): void } }).engine?.close();
      }
    },
  },
  {
    name: "forced close: socket.conn.close() on the server",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const client = clientDisconnect(c);
      c.emit("close-engine");
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "forced close: an undecodable Socket.IO packet makes the server socket emit error and close the connection",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const client = clientDisconnect(c);
      engineOf(c).write("9 not a socket.io packet");
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "a second CONNECT for a joined namespace closes the client (websocket)",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const client = clientDisconnect(c);
      engineOf(c).write("0");
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "a second CONNECT for a joined namespace closes the client (polling)",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["polling"] });
      const client = clientDisconnect(c);
      engineOf(c).write("0");
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "ping timeout: the client stops answering pings",
    serverOptions: { pingInterval: 400, pingTimeout: 200 },
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const engine = engineOf(c);
      const send = engine._sendPacket.bind(engine);
      const dropped: string[] = [];
      engine._sendPacket = (type: string, ...rest: unknown[]) => {
        if (type === "pong") dropped.push(type);
        else send(type, ...rest);
      };
      const client = await clientDisconnect(c);
      return { client, server: await serverLog(ctx.shared), droppedPongs: dropped.length > 0 };
    },
  },
  {
    name: "transport error: the client sends a ping (wrong heartbeat direction)",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const client = clientDisconnect(c);
      engineOf(c)._sendPacket("ping");
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "parse error: the client sends an invalid Engine.IO packet",
    setup: (io, shared) => recordDisconnects(io, shared),
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"] });
      const client = clientDisconnect(c);
      engineOf(c).transport.ws!.send("x-not-an-engine.io-packet");
      return { client: await client, server: await serverLog(ctx.shared) };
    },
  },
  {
    name: "disconnect description: what the server's disconnect listener gets as second argument",
    setup(io, shared) {
      shared.descriptions = {};
      io.on("connection", (socket) => {
        socket.on("disconnect", (reason: string, description: unknown) => {
          const d = description as { message?: unknown; description?: unknown } | undefined;
          shared.descriptions[socket.handshake.auth.label] = {
            reason,
            type: typeof description,
            isError: description instanceof Error,
            message: d instanceof Error ? d.message : undefined,
          };
        });
        socket.on("kick", () => socket.disconnect());
      });
    },
    async run(ctx) {
      const triggers: Record<string, (c: ClientSocket) => void> = {
        "server disconnect": (c) => c.emit("kick"),
        "client disconnect": (c) => c.disconnect(),
        "engine close": (c) => engineOf(c).close(),
        "wrong heartbeat": (c) => engineOf(c)._sendPacket("ping"),
        "invalid engine packet": (c) => engineOf(c).transport.ws!.send("x"),
        "invalid socket.io packet": (c) => engineOf(c).write("9"),
      };
      for (const [label, trigger] of Object.entries(triggers)) {
        const c = await ctx.connect("/", { transports: ["websocket"], auth: { label } });
        trigger(c);
        await waitFor(() => ctx.shared.descriptions[label], { what: `disconnect of ${label}` });
      }
      return ctx.shared.descriptions;
    },
  },
  {
    name: "disconnecting still sees socket.rooms, disconnect sees them emptied; socket state in both",
    setup(io, shared) {
      io.on("connection", (socket) => {
        socket.join(["room-a", "room-b"]);
        const rooms = () => [...socket.rooms].map((r) => (r === socket.id ? "<own id>" : r)).sort();
        socket.on("disconnecting", (reason: string) => {
          shared.disconnecting = { reason, rooms: rooms(), connected: socket.connected, adapterHasRoom: io.of("/").adapter.rooms.get("room-a")?.has(socket.id) === true };
        });
        socket.on("disconnect", (reason: string) => {
          shared.disconnect = {
            reason,
            rooms: rooms(),
            connected: socket.connected,
            disconnected: socket.disconnected,
            adapterHasRoom: io.of("/").adapter.rooms.has("room-a"),
            stillInNamespace: io.of("/").sockets.has(socket.id),
          };
        });
      });
    },
    async run(ctx) {
      const c = await ctx.connect();
      c.disconnect();
      await waitFor(() => ctx.shared.disconnect, { what: "server disconnect" });
      return { disconnecting: ctx.shared.disconnecting, disconnect: ctx.shared.disconnect };
    },
  },
  {
    name: "the client can connect again after a server namespace disconnect",
    setup(io, shared) {
      shared.connections = 0;
      io.on("connection", (socket) => {
        shared.connections++;
        socket.on("kick", () => socket.disconnect());
        socket.on("sync", (ack: (n: number) => void) => ack(shared.connections));
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { node: 0 });
      const firstId = c.id;
      const reason = clientDisconnect(c);
      c.emit("kick");
      const first = await reason;
      c.connect();
      await connected(c);
      return { first, reconnected: c.connected, newId: c.id !== firstId, connections: await ask(c, "sync") };
    },
  },
]);
