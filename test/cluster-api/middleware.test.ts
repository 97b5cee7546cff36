/**
 * The Socket.IO server API across a cluster: middleware and the handshake. 2 io-nodes and 2 app-nodes (see ./harness.ts).
 */
import { expect } from "chai";
import { createClient, once, request, waitFor } from "../helpers";
import { cluster, spread } from "./harness";

describe("cluster API: middleware and the handshake", function () {
  this.timeout(15_000);

  it("io.use middleware rejection reaches the client as connect_error with its message and data", async () => {
    const fx = await cluster({
      setup: (io, i) =>
        io.use((socket, next) => {
          if (socket.handshake.auth.token === "ok") return next();
          const err = new Error(`not authorized by app ${i}`) as Error & { data?: unknown };
          err.data = { code: 401, token: socket.handshake.auth.token ?? null };
          next(err);
        }),
    });
    const messages = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const client = createClient(fx.urls[i % 2], { auth: { token: "nope" } });
      const [err] = await once<[Error & { data?: unknown }]>(client, "connect_error");
      expect(err.message).to.match(/^not authorized by app [01]$/);
      expect(err.data).to.deep.equal({ code: 401, token: "nope" });
      expect(client.connected).to.equal(false);
      messages.add(err.message);
    }
    // both app-nodes rejected someone: the rejection crossed Redis from each of them
    expect(messages.size).to.equal(2);
    const good = await fx.connect(0, { auth: { token: "ok" } });
    expect(await good.emitWithAck("echo", 1)).to.equal(1);
  });

  it("socket.use middleware filters and rewrites incoming packets", async () => {
    const errors: string[] = [];
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.use((packet, next) => {
            if (packet[0] === "forbidden") return next(new Error("blocked"));
            if (packet[0] === "echo" && packet[1] === "rewrite-me") packet[1] = "rewritten";
            next();
          });
          socket.on("error", (err) => errors.push(err.message));
          socket.on("forbidden", () => errors.push("handler ran"));
        }),
    });
    const placed = await spread(fx, 2);
    for (const p of placed) {
      p.client.emit("forbidden");
      expect(await p.client.emitWithAck("echo", "rewrite-me")).to.equal("rewritten");
    }
    await waitFor(() => errors.length === 2);
    expect(errors).to.deep.equal(["blocked", "blocked"]);
  });

  it("socket.data set in middleware is visible in handlers and to the other app-node", async () => {
    const fx = await cluster({
      setup: (io, i) =>
        io.use((socket, next) => {
          socket.data.session = { user: socket.handshake.auth.user, via: i };
          next();
        }),
    });
    const placed = await spread(fx, 2, { auth: { user: "zoë" } });
    for (const p of placed) {
      const local = fx.serverSocket(p.client.id!);
      expect(local.data.session).to.deep.equal({ user: "zoë", via: p.app });
      const other = fx.apps[1 - p.app];
      const [remote] = await other.in(p.client.id!).fetchSockets();
      expect(remote.data.session).to.deep.equal({ user: "zoë", via: p.app });
    }
  });

  it("socket.handshake is what the client sent, as plain socket.io builds it", async () => {
    const fx = await cluster();
    const client = await fx.connect(1, {
      transports: ["polling"],
      query: { room: "lobby", n: "1" },
      auth: { token: "abc" },
      extraHeaders: { "x-request-id": "r-1", origin: "http://example.test" },
    });
    const h = fx.serverSocket(client.id!).handshake;
    expect(h.headers["x-request-id"]).to.equal("r-1");
    expect(h.headers.host).to.equal(fx.urls[1].replace("http://", ""));
    expect(h.query).to.include({ room: "lobby", n: "1", EIO: "4", transport: "polling" });
    expect(h.auth).to.deep.equal({ token: "abc" });
    expect(h.url).to.match(/^\/socket\.io\/\?.*room=lobby/);
    expect(h.address).to.match(/^(::ffff:)?127\.0\.0\.1$/);
    expect(h.xdomain).to.equal(true);
    expect(h.secure).to.equal(false);
    expect(h.issued).to.be.a("number").within(Date.now() - 60_000, Date.now() + 1);
    expect(new Date(h.time).getTime()).to.be.closeTo(h.issued, 1_000);
    expect(fx.serverSocket(client.id!).conn.transport.name).to.equal("polling");
    // the Engine.IO session id is the client's, as with plain socket.io
    const engineId = (o: unknown) => (o as { id: string }).id;
    expect(engineId(fx.serverSocket(client.id!).conn)).to.equal(engineId(client.io.engine));
    expect(fx.serverSocket(client.id!).conn.remoteAddress).to.equal(h.address);
  });

  it("rooms joined in a middleware are visible across app-nodes", async () => {
    const fx = await cluster({
      setup: (io) =>
        io.use((socket, next) => {
          socket.join(`team:${socket.handshake.auth.team}`);
          next();
        }),
    });
    const a = await fx.connect(0, { auth: { team: "x" } });
    const b = await fx.connect(0, { auth: { team: "y" } });
    for (const io of fx.apps) {
      expect((await io.in("team:x").fetchSockets()).map((s) => s.id)).to.deep.equal([a.id]);
      expect((await io.in("team:y").fetchSockets()).map((s) => s.id)).to.deep.equal([b.id]);
    }
    const got = once(a, "team-news");
    fx.apps[1].to("team:x").emit("team-news", "go");
    expect(await got).to.deep.equal(["go"]);
  });
});
