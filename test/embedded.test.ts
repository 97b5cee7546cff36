/**
 * The embedded default: no Redis, one process. Each scenario runs against plain socket.io and
 * against socket.io-cluster, and both must observe exactly the same thing (and what we expect).
 */
import { expect } from "chai";
import { readFileSync } from "fs";
import { dirname, join } from "path";
import type { Server as HttpServer } from "http";
import { Server as PlainServer } from "socket.io";
import { Server } from "../src";
import { ClientSocket, connect, createClient, httpServer, once, pollingHandshake, redisUrl, request, track, uniquePrefix, waitFor } from "./helpers";

type AnyServer = PlainServer;
type Make = (srv: HttpServer, opts?: Record<string, unknown>) => AnyServer;

const IMPLEMENTATIONS: Array<[string, Make]> = [
  ["socket.io", (srv, opts) => new PlainServer(srv, opts)],
  ["socket.io-cluster", (srv, opts) => new Server(srv, opts) as unknown as AnyServer],
];

/** Runs a scenario against both servers; returns [plain, cluster] observations. */
async function both<T>(scenario: (make: Make) => Promise<T>): Promise<[T, T]> {
  const out: T[] = [];
  for (const [, make] of IMPLEMENTATIONS) {
    const tracked: Make = (srv, opts) => track(make(srv, opts), "embedded server");
    out.push(await scenario(tracked));
  }
  return out as [T, T];
}

async function expectSame<T>(scenario: (make: Make) => Promise<T>, expected: unknown): Promise<void> {
  const [plain, cluster] = await both(scenario);
  expect(plain, "plain socket.io").to.deep.equal(expected);
  expect(cluster, "socket.io-cluster (embedded)").to.deep.equal(plain);
}

describe("embedded (no Redis) behaves like plain socket.io", () => {
  it("runs on the in-memory transport", async () => {
    const { server } = await httpServer();
    const io = track(new Server(server));
    await io.ready();
    expect(io.cluster.clustered).to.equal(false);
  });

  it("acks both ways, and ack timeouts", async () => {
    await expectSame(
      async (make) => {
        const { server, url: u } = await httpServer();
        const io = make(server);
        const fromServer: Record<string, unknown> = {};
        const serverDone = new Promise<void>((resolve) => {
          io.on("connection", async (socket) => {
            socket.on("sum", (a: number, b: number, cb: (n: number) => void) => cb(a + b));
            socket.on("noanswer", () => undefined);
            fromServer.name = await socket.emitWithAck("name", "please");
            try {
              await socket.timeout(100).emitWithAck("silent");
            } catch (err) {
              fromServer.timeout = (err as Error).message;
            }
            resolve();
          });
        });
        const client = await connect(u, {}, (c) => c.on("name", (p: string, cb: (n: string) => void) => cb(`client(${p})`)));
        const sum = await client.emitWithAck("sum", 2, 3);
        let clientTimeout = "";
        await client
          .timeout(100)
          .emitWithAck("noanswer")
          .catch((err: Error) => (clientTimeout = err.message));
        await serverDone;
        return { sum, clientTimeout, ...fromServer };
      },
      { sum: 5, clientTimeout: "operation has timed out", name: "client(please)", timeout: "operation has timed out" },
    );
  });

  it("rooms and broadcasts", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        return roomsScenario(make(server), url);
      },
      {
        A: ["red-all", "red-or-blue", "end"],
        B: ["broadcast:A", "red-only", "red-all", "red-or-blue", "end"],
        C: ["broadcast:A", "not-red", "red-or-blue", "end"],
        redCount: 2,
        rooms: { A: ["red", "self"], C: ["blue", "self"] },
        afterLeave: 1,
      },
    );
  });

  it("namespaces, with their own middleware and broadcasts", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        return namespacesScenario(make(server), url);
      },
      {
        admin: { nsp: "/admin", admin: true },
        main: { nsp: "/", admin: null },
        adminNews: ["admin-news"],
        mainNews: ["main-news"],
        invalid: "Invalid namespace",
      },
    );
  });

  it("io.use rejection reaches the client as connect_error with message and data; socket.use filters packets", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server);
        io.use((socket, next) => {
          if (socket.handshake.auth.token !== "secret") {
            const err = new Error("unauthorized") as Error & { data?: unknown };
            err.data = { reason: "token", got: socket.handshake.auth.token ?? null };
            return next(err);
          }
          socket.data.user = "alice";
          next();
        });
        const serverErrors: string[] = [];
        io.on("connection", (socket) => {
          socket.use((packet, next) => {
            if (packet[0] === "forbidden") return next(new Error("blocked"));
            if (packet[0] === "double") packet[1] = (packet[1] as number) * 2;
            next();
          });
          socket.on("error", (err) => serverErrors.push(err.message));
          socket.on("double", (n: number, cb: (x: unknown) => void) => cb({ n, user: socket.data.user }));
          socket.on("forbidden", () => serverErrors.push("forbidden handler ran"));
        });
        const bad = createClient(url, { auth: { token: "wrong" } });
        const [err] = await once<[Error & { data?: unknown }]>(bad, "connect_error");
        const good = await connect(url, { auth: { token: "secret" } });
        good.emit("forbidden");
        const doubled = await good.emitWithAck("double", 21);
        await waitFor(() => serverErrors.length > 0);
        return { message: err.message, data: err.data, doubled, serverErrors };
      },
      {
        message: "unauthorized",
        data: { reason: "token", got: "wrong" },
        doubled: { n: 42, user: "alice" },
        serverErrors: ["blocked"],
      },
    );
  });

  it("disconnect reasons", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server);
        const reasons: string[] = [];
        const disconnected = (n: number) => waitFor(() => reasons.length >= n);
        io.on("connection", (socket) => {
          socket.on("disconnect", (reason) => reasons.push(reason));
          socket.on("kick", () => socket.disconnect());
        });
        const a = await connect(url);
        a.disconnect();
        await disconnected(1);
        const b = await connect(url);
        const clientReason = once<[string]>(b, "disconnect");
        b.emit("kick");
        const [bReason] = await clientReason;
        await disconnected(2);
        const c = await connect(url);
        c.io.engine.close();
        await disconnected(3);
        // websocket: a polling transport would wait for the client's next poll to close
        const d = await connect(url, { transports: ["websocket"] });
        const dReason = once<[string]>(d, "disconnect");
        const [dSocket] = [...io.of("/").sockets.values()];
        dSocket.conn.close();
        await disconnected(4);
        return { server: reasons, client: bReason, closedConn: (await dReason)[0] };
      },
      {
        server: ["client namespace disconnect", "server namespace disconnect", "transport close", "forced close"],
        client: "io server disconnect",
        closedConn: "transport close",
      },
    );
  });

  it("binary payloads in events and acks", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server);
        io.on("connection", (socket) => {
          socket.on("bin", (buf: Buffer, nested: { b: Buffer }, cb: (...x: unknown[]) => void) =>
            cb(Buffer.concat([buf, nested.b]), { ok: Buffer.isBuffer(buf) && Buffer.isBuffer(nested.b) }),
          );
        });
        const client = await connect(url);
        const got = once<[Buffer]>(client, "pushed");
        io.emit("pushed", Buffer.from([9, 8, 7]));
        const [pushed] = await got;
        const answer = await new Promise<unknown[]>((resolve) =>
          client.emit("bin", Buffer.from([1, 2]), { b: Buffer.from([3]) }, (...args: unknown[]) => resolve(args)),
        );
        return {
          pushed: [...Buffer.from(pushed)],
          concat: [...Buffer.from(answer[0] as Buffer)],
          ok: answer[1],
        };
      },
      { pushed: [9, 8, 7], concat: [1, 2, 3], ok: { ok: true } },
    );
  });

  it("fetchSockets, socketsJoin, socketsLeave, disconnectSockets", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server);
        io.on("connection", (socket) => {
          socket.data.label = socket.handshake.auth.label;
          socket.join("all");
        });
        const a = await connect(url, { auth: { label: "a" } });
        const b = await connect(url, { auth: { label: "b" } });
        const labels = (await io.fetchSockets()).map((s) => s.data.label).sort();
        io.in(a.id!).socketsJoin("vip");
        const vip = (await io.in("vip").fetchSockets()).map((s) => s.data.label);
        io.in("vip").socketsLeave("all");
        const all = (await io.in("all").fetchSockets()).map((s) => s.data.label);
        const bGone = once<[string]>(b, "disconnect");
        io.in("all").disconnectSockets();
        const [reason] = await bGone;
        const left = (await io.fetchSockets()).map((s) => s.data.label);
        return { labels, vip, all, reason, left, aConnected: a.connected };
      },
      { labels: ["a", "b"], vip: ["a"], all: ["b"], reason: "io server disconnect", left: ["a"], aConnected: true },
    );
  });

  it("onAny and onAnyOutgoing", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server);
        const incoming: unknown[] = [];
        const outgoing: unknown[] = [];
        io.on("connection", (socket) => {
          socket.onAny((event, ...args) => incoming.push([event, ...args]));
          socket.onAnyOutgoing((event, ...args) => outgoing.push([event, ...args]));
          socket.on("ping2", () => socket.emit("pong2", { n: 1 }));
        });
        const clientIn: unknown[] = [];
        const client = await connect(url, {}, (c) => c.onAny((event, ...args) => clientIn.push([event, ...args])));
        const pong = once(client, "pong2");
        client.emit("ping2", "x", 2);
        await pong;
        return { incoming, outgoing, clientIn };
      },
      {
        incoming: [["ping2", "x", 2]],
        outgoing: [["pong2", { n: 1 }]],
        clientIn: [["pong2", { n: 1 }]],
      },
    );
  });

  it("socket.handshake and socket.data", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server);
        const seen = new Promise<Record<string, unknown>>((resolve) =>
          io.on("connection", (socket) => {
            const h = socket.handshake;
            socket.data.n = 1;
            resolve({
              headers: { "x-test": h.headers["x-test"], host: typeof h.headers.host },
              query: { foo: h.query.foo, EIO: h.query.EIO, transport: h.query.transport },
              auth: h.auth,
              address: typeof h.address,
              secure: h.secure,
              xdomain: h.xdomain,
              issued: typeof h.issued,
              time: typeof h.time,
              url: h.url.split("?")[0],
              urlHasQuery: h.url.includes("foo=bar"),
              data: socket.data,
              conn: { protocol: socket.conn.protocol, readyState: socket.conn.readyState, transport: socket.conn.transport.name },
            });
          }),
        );
        await connect(url, {
          extraHeaders: { "x-test": "yes" },
          query: { foo: "bar" },
          auth: { token: "t" },
          transports: ["polling"],
        });
        return seen;
      },
      {
        headers: { "x-test": "yes", host: "string" },
        query: { foo: "bar", EIO: "4", transport: "polling" },
        auth: { token: "t" },
        address: "string",
        secure: false,
        xdomain: false,
        issued: "number",
        time: "string",
        url: "/socket.io/",
        urlHasQuery: true,
        data: { n: 1 },
        conn: { protocol: 4, readyState: "open", transport: "polling" },
      },
    );
  });

  it("io.engine: use(), initial_headers, headers, connection_error, and removing a listener", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server);
        const engine = io.engine as unknown as PlainServer["engine"];
        const errors: unknown[] = [];
        engine.use((_req: unknown, res: import("http").ServerResponse, next: () => void) => {
          res.setHeader("x-middleware", "1");
          next();
        });
        engine.on("initial_headers", (headers: Record<string, string>) => (headers["x-initial"] = "yes"));
        const every = (headers: Record<string, string>) => (headers["x-every"] = "yes");
        engine.on("headers", every);
        engine.on("connection_error", (err: { code: number; message: string }) =>
          errors.push({ code: err.code, message: err.message }),
        );
        const pick = (h: import("http").IncomingHttpHeaders) => ({
          middleware: h["x-middleware"] ?? null,
          initial: h["x-initial"] ?? null,
          every: h["x-every"] ?? null,
        });
        const first = await pollingHandshake(url);
        const post = await request(`${url}/socket.io/?EIO=4&transport=polling&sid=${first.sid}`, { method: "POST", body: "40" });
        const bad = await request(`${url}/socket.io/?EIO=4&transport=bogus`);
        engine.off("headers", every);
        const afterOff = await pollingHandshake(url);
        return {
          handshake: pick(first.headers),
          post: pick(post.headers),
          bad: bad.status,
          errors,
          afterOff: pick(afterOff.headers),
        };
      },
      {
        handshake: { middleware: "1", initial: "yes", every: "yes" },
        post: { middleware: "1", initial: null, every: "yes" },
        bad: 400,
        errors: [{ code: 0, message: "Transport unknown" }],
        afterOff: { middleware: "1", initial: "yes", every: null },
      },
    );
  });

  it("engine options given to the Server reach the connections (path, cors, transports, allowRequest, maxHttpBufferSize)", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server, {
          path: "/rt",
          cors: { origin: "https://app.example" },
          transports: ["polling"],
          allowRequest: (req: import("http").IncomingMessage, cb: (e: string | null, ok: boolean) => void) =>
            cb(null, !(req.url ?? "").includes("deny=1")),
          maxHttpBufferSize: 500,
        });
        io.on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x)));
        const hs = await pollingHandshake(url, { path: "/rt/", headers: { origin: "https://app.example" } });
        const denied = await pollingHandshake(url, { path: "/rt/", query: "&deny=1" });
        const atDefaultPath = await request(`${url}/socket.io/?EIO=4&transport=polling`);
        const client = await connect(url, { path: "/rt" });
        const echoed = await client.emitWithAck("echo", "small");
        const gone = once<[string]>(client, "disconnect");
        client.emit("echo", "x".repeat(2_000));
        const [reason] = await gone;
        return {
          upgrades: (JSON.parse(hs.body.slice(1)) as { upgrades: string[] }).upgrades,
          maxPayload: (JSON.parse(hs.body.slice(1)) as { maxPayload: number }).maxPayload,
          cors: hs.headers["access-control-allow-origin"],
          denied: denied.status,
          atDefaultPath: atDefaultPath.status,
          echoed,
          transport: client.io.engine.transport.name,
          reason,
        };
      },
      {
        upgrades: [],
        maxPayload: 500,
        cors: "https://app.example",
        denied: 403,
        atDefaultPath: 404,
        echoed: "small",
        transport: "polling",
        reason: "transport error",
      },
    );
  });

  it("io.engine is the Engine.IO server, and io.attach(srv, opts) merges its options with the constructor's as socket.io does", async () => {
    const observe = async (make: (opts: Record<string, unknown>) => AnyServer) => {
      const { server, url } = await httpServer();
      // the constructor's options win over attach's; attach's fill in what the constructor left out
      const io = track(make({ pingInterval: 3_000, maxHttpBufferSize: 4_000 }), "attached server");
      io.attach(server, { pingInterval: 9_000, pingTimeout: 7_000, path: "/merged" } as never);
      await (io as unknown as { ready?: () => Promise<void> }).ready?.();
      io.on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x)));
      const engineOpts = (io.engine as unknown as { opts: Record<string, unknown> }).opts;
      const client = await connect(url, { path: "/merged" });
      const echoed = await client.emitWithAck("echo", "x");
      return {
        opts: { pingInterval: engineOpts.pingInterval, pingTimeout: engineOpts.pingTimeout, maxHttpBufferSize: engineOpts.maxHttpBufferSize, path: engineOpts.path },
        clientPingInterval: (client.io.engine as unknown as { _pingInterval: number })._pingInterval,
        echoed,
      };
    };
    const plain = await observe((opts) => new PlainServer(opts));
    expect(plain).to.deep.equal({ opts: { pingInterval: 3_000, pingTimeout: 7_000, maxHttpBufferSize: 4_000, path: "/merged" }, clientPingInterval: 3_000, echoed: "x" });
    expect(await observe((opts) => new Server(opts) as unknown as AnyServer), "embedded").to.deep.equal(plain);
    const colocated = (opts: Record<string, unknown>) =>
      new Server({ ...opts, cluster: { redis: redisUrl(), prefix: uniquePrefix("attach"), localFastPath: false } }) as unknown as AnyServer;
    expect(await observe(colocated), "over Redis").to.deep.equal(plain);
  });

  it("serves the client bundle like plain socket.io (serveClient default)", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        make(server);
        const res = await request(`${url}/socket.io/socket.io.min.js`);
        const cached = await request(`${url}/socket.io/socket.io.min.js`, { headers: { "if-none-match": String(res.headers.etag) } });
        return { status: res.status, etag: res.headers.etag, type: res.headers["content-type"], length: res.body.length, cached: cached.status };
      },
      { status: 200, etag: `"${require("socket.io/package.json").version}"`, type: "application/javascript; charset=utf-8", length: readFileSync(join(dirname(require.resolve("socket.io/package.json")), "client-dist", "socket.io.min.js"), "utf8").length, cached: 304 },
    );
  });

  it("socket.conn emits \"packet\" for what the client sends, and \"packetCreate\" for what it is sent", async () => {
    await expectSame(
      async (make) => {
        const { server, url } = await httpServer();
        const io = make(server);
        const incoming: Array<[string, unknown]> = [];
        const outgoing: Array<[string, unknown]> = [];
        io.on("connection", (socket) => {
          socket.conn.on("packet", (p: { type: string; data?: unknown }) => incoming.push([p.type, p.data]));
          socket.conn.on("packetCreate", (p: { type: string; data?: unknown }) => outgoing.push([p.type, p.data]));
          socket.on("hello", (cb: (x: string) => void) => cb("hi"));
        });
        const client = await connect(url, { transports: ["websocket"] });
        await client.emitWithAck("hello");
        return {
          incoming: incoming.filter(([t]) => t === "message"),
          outgoing: outgoing.filter(([t]) => t === "message"),
        };
      },
      { incoming: [["message", '20["hello"]']], outgoing: [["message", '30["hi"]']] },
    );
  });

  it("two embedded servers in one process stay apart, as two socket.io servers do", async () => {
    await expectSame(
      async (make) => {
        const one = await httpServer();
        const two = await httpServer();
        const io1 = make(one.server);
        const io2 = make(two.server);
        for (const io of [io1, io2]) io.on("connection", (s) => s.on("echo", (cb: () => void) => cb()));
        const c1 = await connect(one.url);
        const c2 = await connect(two.url);
        const received: string[] = [];
        c1.on("hello", () => received.push("c1"));
        c2.on("hello", () => received.push("c2"));
        const got = once(c1, "hello");
        io1.emit("hello");
        await got;
        // a broadcast leaking to io2 would reach c2 before the answer to a later round trip
        await c2.emitWithAck("echo");
        await c1.emitWithAck("echo");
        return { sockets1: (await io1.fetchSockets()).length, sockets2: (await io2.fetchSockets()).length, received };
      },
      { sockets1: 1, sockets2: 1, received: ["c1"] },
    );
  });
});

// ---------------------------------------------------------------------------------------------

async function roomsScenario(io: AnyServer, url: string) {
  io.on("connection", (socket) => {
    socket.on("join", (room: string, cb: () => void) => {
      socket.join(room);
      cb();
    });
    socket.on("shout", (label: string, cb: () => void) => {
      socket.broadcast.emit("broadcast:" + label);
      socket.to("red").emit("red-only");
      io.to("red").emit("red-all");
      io.except("red").emit("not-red");
      io.to("red").to("blue").emit("red-or-blue");
      io.emit("end");
      cb();
    });
    socket.on("rooms", (cb: (r: string[]) => void) => cb([...socket.rooms].map((r) => (r === socket.id ? "self" : r)).sort()));
    socket.on("leave", (room: string, cb: () => void) => {
      socket.leave(room);
      cb();
    });
  });
  const clients: Record<string, ClientSocket> = {};
  const events: Record<string, string[]> = { A: [], B: [], C: [] };
  for (const label of ["A", "B", "C"]) {
    clients[label] = await connect(url, {}, (c) => c.onAny((event: string) => events[label].push(event)));
  }
  await clients.A.emitWithAck("join", "red");
  await clients.B.emitWithAck("join", "red");
  await clients.C.emitWithAck("join", "blue");
  const ends = Object.values(clients).map((c) => once(c, "end"));
  await clients.A.emitWithAck("shout", "A");
  await Promise.all(ends);
  const redCount = (await io.in("red").fetchSockets()).length;
  const rooms = { A: await clients.A.emitWithAck("rooms"), C: await clients.C.emitWithAck("rooms") };
  await clients.B.emitWithAck("leave", "red");
  const afterLeave = (await io.in("red").fetchSockets()).length;
  return { ...events, redCount, rooms, afterLeave };
}

async function namespacesScenario(io: AnyServer, url: string) {
  const admin = io.of("/admin");
  admin.use((socket, next) => {
    socket.data.admin = true;
    next();
  });
  const who = (socket: any) => (cb: (x: unknown) => void) => cb({ nsp: socket.nsp.name, admin: socket.data.admin ?? null });
  io.on("connection", (socket) => socket.on("who", who(socket)));
  admin.on("connection", (socket) => socket.on("who", who(socket)));
  const mainEvents: string[] = [];
  const adminEvents: string[] = [];
  const main = await connect(url, {}, (c) => c.onAny((e: string) => mainEvents.push(e)));
  const adminClient = main.io.socket("/admin");
  adminClient.onAny((e: string) => adminEvents.push(e));
  await once(adminClient, "connect");
  const result: Record<string, unknown> = {
    admin: await adminClient.emitWithAck("who"),
    main: await main.emitWithAck("who"),
  };
  const gotAdmin = once(adminClient, "admin-news");
  const gotMain = once(main, "main-news");
  admin.emit("admin-news");
  io.emit("main-news");
  await Promise.all([gotAdmin, gotMain]);
  result.adminNews = adminEvents;
  result.mainNews = mainEvents;
  const invalid = main.io.socket("/nope");
  const [err] = await once<[Error]>(invalid, "connect_error");
  result.invalid = err.message;
  invalid.disconnect();
  adminClient.disconnect();
  return result;
}

