import type { Socket as ServerSocket } from "socket.io";
import type { Socket as ClientSocket } from "socket.io-client";
import { scenarios } from "../scenario";
import { ask } from "./_helpers";

/** The handshake URL as sent, without the per-request parameters (`t` cache buster, `sid`). */
function normalizeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const u = new URL(url, "http://placeholder");
  u.searchParams.delete("t");
  u.searchParams.delete("sid");
  const params = [...u.searchParams.entries()].sort(([a], [b]) => a.localeCompare(b));
  return `${u.pathname}?${params.map(([k, v]) => `${k}=${v}`).join("&")}`;
}

/** Query without the per-request parameters. */
function normalizeQuery(query: Record<string, unknown>): Record<string, unknown> {
  const { t: _t, sid: _sid, ...rest } = query;
  return Object.fromEntries(Object.entries(rest).sort(([a], [b]) => a.localeCompare(b)));
}

const LOOPBACK = /^(::ffff:)?127\.0\.0\.1$|^::1$/;

/** What a server sees of a handshake, as comparable facts. */
function handshakeFacts(socket: ServerSocket): Record<string, unknown> {
  const h = socket.handshake;
  return {
    headers: {
      custom: h.headers["x-compat"],
      host: typeof h.headers.host,
      userAgent: typeof h.headers["user-agent"],
      names: Object.keys(h.headers).sort(),
    },
    query: normalizeQuery(h.query as Record<string, unknown>),
    auth: h.auth,
    address: { type: typeof h.address, loopback: LOOPBACK.test(h.address) },
    url: normalizeUrl(h.url),
    issued: { type: typeof h.issued, integer: Number.isInteger(h.issued) },
    secure: h.secure,
    xdomain: h.xdomain,
    time: { type: typeof h.time, parses: !Number.isNaN(Date.parse(h.time)) },
    keys: Object.keys(h).sort(),
  };
}

/** The Engine.IO id of a server connection (private in the typings). */
function engineId(conn: unknown): string {
  return (conn as { id: string }).id;
}

export default scenarios("connect", [
  {
    name: "handshake: extraHeaders, query option, auth object, address, url, issued, secure, xdomain, time",
    setup(io) {
      io.on("connection", (socket) => socket.on("handshake", (ack: (f: unknown) => void) => ack(handshakeFacts(socket))));
    },
    async run(ctx) {
      const c = await ctx.connect("/", {
        extraHeaders: { "x-compat": "yes" },
        query: { foo: "bar", n: "1" },
        auth: { token: "abc", nested: { a: [1, 2] } },
      });
      return ask(c, "handshake");
    },
  },
  {
    name: "handshake over websocket only: url and query name the websocket transport",
    setup(io) {
      io.on("connection", (socket) => socket.on("handshake", (ack: (f: unknown) => void) => ack(handshakeFacts(socket))));
    },
    async run(ctx) {
      const c = await ctx.connect("/", { transports: ["websocket"], extraHeaders: { "x-compat": "ws" }, query: { q: "1" } });
      return ask(c, "handshake");
    },
  },
  {
    name: "handshake: auth given as a function, and auth defaults to {}",
    setup(io) {
      io.on("connection", (socket) => socket.on("auth", (ack: (a: unknown) => void) => ack(socket.handshake.auth)));
    },
    async run(ctx) {
      const withFn = await ctx.connect("/", { auth: (cb: (data: object) => void) => cb({ from: "function", n: 42 }) });
      const without = await ctx.connect("/");
      return { fn: await ask(withFn, "auth"), none: await ask(without, "auth") };
    },
  },
  {
    name: "handshake: xdomain is true when the request has an Origin header",
    setup(io) {
      io.on("connection", (socket) =>
        socket.on("xdomain", (ack: (a: unknown) => void) =>
          ack({ xdomain: socket.handshake.xdomain, origin: socket.handshake.headers.origin }),
        ),
      );
    },
    async run(ctx) {
      const plain = await ctx.connect("/");
      const cross = await ctx.connect("/", { extraHeaders: { origin: "http://example.com" } });
      return { plain: await ask(plain, "xdomain"), cross: await ask(cross, "xdomain") };
    },
  },
  {
    name: "socket at connection: id, connected, nsp, transport, protocol, request headers, recovered, rooms, data",
    setup(io, shared) {
      io.on("connection", (socket) => {
        const facts = {
          idType: typeof socket.id,
          idLength: socket.id.length,
          idIsNotEngineId: socket.id !== engineId(socket.conn),
          clientIdIsEngineId: engineId(socket.client.conn) === engineId(socket.conn),
          connected: socket.connected,
          disconnected: socket.disconnected,
          nsp: socket.nsp.name,
          nspIsMain: socket.nsp === io.sockets,
          transport: socket.client.conn.transport.name,
          connTransport: socket.conn.transport.name,
          protocol: socket.conn.protocol,
          connReadyState: socket.conn.readyState,
          requestHeaders: {
            custom: socket.request.headers["x-compat"],
            host: typeof socket.request.headers.host,
            sameAsHandshake: socket.request.headers === socket.handshake.headers,
          },
          recovered: socket.recovered,
          rooms: [...socket.rooms].map((r) => (r === socket.id ? "<own id>" : r)),
          data: socket.data,
          serverHasSocket: io.of("/").sockets.get(socket.id) === socket,
        };
        socket.on("facts", (ack: (f: unknown) => void) => ack({ ...facts, id: socket.id }));
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { extraHeaders: { "x-compat": "yes" } });
      const { id, ...server } = await ask(c, "facts");
      return {
        server,
        client: {
          idType: typeof c.id,
          sameIdAsServer: c.id === id,
          idIsNotEngineId: c.id !== (c.io as unknown as { engine: { id: string } }).engine.id,
          connected: c.connected,
          disconnected: c.disconnected,
          recovered: c.recovered,
        },
      };
    },
  },
  {
    name: "socket.request as apps read it: method, url, remote address, headers, encrypted",
    setup(io) {
      io.on("connection", (socket) => {
        const req = socket.request as typeof socket.request & { _query?: Record<string, unknown> };
        socket.on("request", (ack: (f: unknown) => void) =>
          ack({
            method: req.method,
            url: normalizeUrl(req.url),
            query: req._query && normalizeQuery(req._query),
            connectionRemoteAddress: LOOPBACK.test(req.connection?.remoteAddress ?? ""),
            socketRemoteAddress: LOOPBACK.test(req.socket?.remoteAddress ?? ""),
            connRemoteAddress: LOOPBACK.test(socket.conn.remoteAddress),
            encrypted: !!(req.connection as { encrypted?: boolean } | undefined)?.encrypted,
            custom: req.headers["x-compat"],
            sameRequest: socket.client.request === socket.request && socket.conn.request === socket.request,
          }),
        );
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { extraHeaders: { "x-compat": "req" }, query: { k: "v" } });
      return ask(c, "request");
    },
  },
  {
    name: "socket.request is an IncomingMessage: httpVersion and rawHeaders",
    setup(io) {
      io.on("connection", (socket) => {
        const req = socket.request;
        socket.on("request", (ack: (f: unknown) => void) =>
          ack({
            httpVersion: req.httpVersion,
            rawHeaders: Array.isArray(req.rawHeaders),
            rawCustom: Array.isArray(req.rawHeaders)
              ? req.rawHeaders.some((h, i) => i % 2 === 0 && h.toLowerCase() === "x-compat" && req.rawHeaders[i + 1] === "raw")
              : null,
          }),
        );
      });
    },
    async run(ctx) {
      const c = await ctx.connect("/", { extraHeaders: { "x-compat": "raw" } });
      return ask(c, "request");
    },
  },
  {
    name: "transport name on the server: polling at connection, websocket after the upgrade",
    setup(io, shared) {
      io.on("connection", (socket) => {
        const atConnection = socket.conn.transport.name;
        const upgrades: string[] = [];
        socket.conn.on("upgrade", (transport: { name: string }) => upgrades.push(transport.name));
        socket.on("transport", (ack: (f: unknown) => void) =>
          ack({ atConnection, now: socket.conn.transport.name, clientConn: socket.client.conn.transport.name, upgrades }),
        );
      });
    },
    async run(ctx) {
      const c = ctx.client("/");
      const engine = (c.io as unknown as { engine: { once(e: string, f: () => void): void; transport: { name: string } } }).engine;
      const upgraded = new Promise<void>((resolve) => engine.once("upgrade", () => resolve()));
      await new Promise<void>((resolve) => c.once("connect", () => resolve()));
      await upgraded;
      return { server: await ask(c, "transport"), client: engine.transport.name };
    },
  },
  {
    name: "server events: connect and connection both fire, connect first; namespace listeners too",
    setup(io) {
      const order = new Map<string, string[]>();
      const note = (socket: ServerSocket, what: string) => {
        const list = order.get(socket.id) ?? [];
        order.set(socket.id, list);
        list.push(what);
      };
      io.on("connection", (socket) => note(socket, "io connection"));
      io.on("connect", (socket) => note(socket, "io connect"));
      io.of("/").on("connection", (socket) => {
        note(socket, "of('/') connection");
        socket.on("order", (ack: (f: unknown) => void) => ack(order.get(socket.id)));
      });
      io.sockets.on("connect", (socket) => note(socket, "sockets connect"));
    },
    async run(ctx) {
      const c = await ctx.connect();
      return ask(c, "order");
    },
  },
  {
    name: "client side: connect event, manager open, socket state before and after",
    setup(io) {
      io.on("connection", (socket) => socket.emit("welcome", "hi"));
    },
    async run(ctx) {
      const c = ctx.client("/");
      const events: string[] = [];
      const before = { connected: c.connected, idType: typeof c.id, active: c.active };
      c.io.on("open", () => events.push("manager open"));
      const welcomed = new Promise<void>((resolve) => c.on("welcome", (w: string) => (events.push(`welcome ${w}`), resolve())));
      let after: unknown;
      c.once("connect", () => {
        events.push("connect");
        after = { connected: c.connected, idType: typeof c.id, active: c.active };
      });
      await welcomed;
      return { before, after, events };
    },
  },
  {
    name: "several clients: each gets its own socket id, and the server sees them all connect",
    setup(io, shared) {
      shared.ids = [];
      io.on("connection", (socket) => {
        shared.ids.push(socket.id);
        socket.on("whoami", (ack: (id: string) => void) => ack(socket.id));
      });
    },
    async run(ctx) {
      const clients = await Promise.all([0, 1, 2, 3].map(() => ctx.connect()));
      const ids = await Promise.all(clients.map((c) => ask(c, "whoami")));
      return {
        distinct: new Set(ids).size,
        matchClients: clients.every((c, i) => c.id === ids[i]),
        serverSawAll: ids.every((id) => ctx.shared.ids.includes(id)),
        serverCount: ctx.shared.ids.length,
      };
    },
  },
]);
