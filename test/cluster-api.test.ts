/**
 * The Socket.IO server API across a cluster: 2 standalone io-nodes and 2 app-nodes in this process,
 * each with its own Redis connections. Clients are spread so that every test crosses io-nodes
 * and app-nodes.
 */
import { expect } from "chai";
import type { Socket as ServerSocket, RemoteSocket } from "socket.io";
import { Server as PlainServer } from "socket.io";
import { Server } from "../src";
import {
  ClientOptions,
  ClientSocket,
  ClusterFixture,
  ClusterFixtureOptions,
  createClient,
  httpServer,
  once,
  pollingHandshake,
  request,
  startCluster,
  track,
  waitFor,
  waitForPeers,
} from "./helpers";

interface Placed {
  client: ClientSocket;
  /** Index of the io-node it is connected to. */
  io: number;
  /** Index of the app-node that owns it. */
  app: number;
}

/** Every app-node answers the same basic events; `data.app` says which app-node owns a socket. */
function basicApp(io: Server, index: number): void {
  io.on("connection", (socket) => {
    socket.data.app = index;
    socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x));
    socket.on("join", (room: string, cb: () => void) => {
      socket.join(room);
      cb();
    });
    socket.on("whoami", (cb: (w: unknown) => void) => cb({ app: index, id: socket.id, rooms: [...socket.rooms] }));
  });
}

async function cluster(opts: ClusterFixtureOptions = {}): Promise<ClusterFixture> {
  return startCluster({
    ...opts,
    setup: (io, i) => {
      basicApp(io, i);
      opts.setup?.(io, i);
    },
  });
}

/**
 * Connects `n` clients, alternating io-nodes, one after the other: each io-node hands its
 * connections to the app-nodes in turn, so 4 clients cover every (io-node, app-node) pair.
 */
async function spread(fx: ClusterFixture, n = 4, opts: ClientOptions = {}): Promise<Placed[]> {
  const out: Placed[] = [];
  for (let i = 0; i < n; i++) {
    const io = i % fx.ioNodes.length;
    const client = await fx.connect(io, opts);
    out.push({ client, io, app: fx.apps.indexOf(fx.ownerOf(client.id!)) });
  }
  return out;
}

function find(placed: Placed[], app: number, io?: number): ClientSocket {
  const p = placed.find((x) => x.app === app && (io === undefined || x.io === io));
  if (!p) throw new Error(`no client owned by app-node ${app}${io === undefined ? "" : ` on io-node ${io}`}`);
  return p.client;
}

describe("cluster: 2 io-nodes, 2 app-nodes", function () {
  this.timeout(15_000);

  it("spreads connections over both app-nodes from both io-nodes", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const pairs = new Set(placed.map((p) => `${p.io}/${p.app}`));
    expect(pairs).to.have.keys("0/0", "0/1", "1/0", "1/1");
    // the client's own view agrees with the server's
    for (const p of placed) {
      const who = (await p.client.emitWithAck("whoami")) as { app: number; id: string };
      expect(who).to.include({ app: p.app, id: p.client.id });
    }
  });

  it("a room broadcast from either app-node reaches the room's clients on every io-node", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const inRoom = placed.filter((_p, i) => i !== 3).map((p) => p.client);
    const outside = placed[3].client;
    for (const c of inRoom) await c.emitWithAck("join", "room");
    const outsideGot: unknown[] = [];
    outside.on("news", (...a) => outsideGot.push(a));
    for (const [from, io] of fx.apps.entries()) {
      const got = inRoom.map((c) => once(c, "news"));
      io.to("room").emit("news", `from app ${from}`);
      expect(await Promise.all(got)).to.deep.equal(inRoom.map(() => [`from app ${from}`]));
    }
    // the outsider would have had them before this answer
    await outside.emitWithAck("echo", 0);
    expect(outsideGot).to.deep.equal([]);
  });

  it("a client's broadcast to the others reaches every other client, not itself", async () => {
    const fx = await cluster({
      setup: (io) => io.on("connection", (s) => s.on("shout", (m: string) => s.broadcast.emit("shouted", m))),
    });
    const placed = await spread(fx, 4);
    const sender = placed[0].client;
    const senderGot: unknown[] = [];
    sender.on("shouted", (m) => senderGot.push(m));
    const got = placed.slice(1).map((p) => once(p.client, "shouted"));
    sender.emit("shout", "hey");
    expect(await Promise.all(got)).to.deep.equal([["hey"], ["hey"], ["hey"]]);
    await sender.emitWithAck("echo", 0);
    expect(senderGot).to.deep.equal([]);
  });

  it("acks client → server, with any payload", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const payload = { s: "héllo 👋", n: [1, 2.5, null], nested: { ok: true } };
    for (const p of placed) expect(await p.client.emitWithAck("echo", payload)).to.deep.equal(payload);
    const viaCallback = await new Promise((resolve) => placed[1].client.emit("echo", "cb", resolve));
    expect(viaCallback).to.equal("cb");
  });

  it("acks server → client: emitWithAck, and timeout() when the client does not answer", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4, {});
    for (const p of placed) {
      p.client.on("question", (q: string, cb: (a: string) => void) => cb(`answer to ${q}`));
      p.client.on("ignored", () => undefined);
    }
    for (const p of placed) {
      const socket = fx.serverSocket(p.client.id!);
      expect(await socket.emitWithAck("question", "life")).to.equal("answer to life");
      expect(await socket.timeout(2_000).emitWithAck("question", "x")).to.equal("answer to x");
      const err = await socket
        .timeout(150)
        .emitWithAck("ignored")
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(err).to.be.instanceOf(Error);
      expect(err!.message).to.equal("operation has timed out");
    }
  });

  it("io.timeout().emit collects every client's answer across app-nodes and io-nodes", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    for (const [i, p] of placed.entries()) p.client.on("vote", (cb: (v: string) => void) => cb(`client ${i}`));
    for (const io of fx.apps) {
      const responses = await io.timeout(5_000).emitWithAck("vote");
      expect([...responses].sort()).to.deep.equal(["client 0", "client 1", "client 2", "client 3"]);
    }
    const viaCallback = await new Promise<[Error | null, unknown[]]>((resolve) =>
      fx.apps[1].timeout(5_000).emit("vote", (err: Error | null, res: unknown[]) => resolve([err, res])),
    );
    expect(viaCallback[0]).to.equal(null);
    expect(viaCallback[1]).to.have.length(4);
  });

  it("io.timeout().emit reports a timeout when a remote client does not answer, with the answers it got", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const silent = find(placed, 1);
    for (const p of placed) if (p.client !== silent) p.client.on("vote", (cb: (v: string) => void) => cb("yes"));
    const [err, responses] = await new Promise<[Error | null, unknown[]]>((resolve) =>
      fx.apps[0].timeout(1_500).emit("vote", (e: Error | null, r: unknown[]) => resolve([e, r])),
    );
    expect(err).to.be.instanceOf(Error);
    expect(responses).to.deep.equal(["yes", "yes", "yes"]);
  });

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

  it("a dynamic namespace by regex", async () => {
    const fx = await cluster({
      setup: (io, i) =>
        io.of(/^\/dyn-\d+$/).on("connection", (socket) => {
          socket.on("where", (cb: (w: unknown) => void) => cb({ nsp: socket.nsp.name, parent: "regex", app: i }));
        }),
    });
    const apps = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const client = await fx.connect(i % 2, {}, "/dyn-42");
      const where = (await client.emitWithAck("where")) as { nsp: string; parent: string; app: number };
      expect(where).to.include({ nsp: "/dyn-42", parent: "regex" });
      apps.add(where.app);
    }
    expect(apps.size).to.equal(2);
    const refused = createClient(`${fx.urls[0]}/dyn-abc`);
    const [err] = await once<[Error]>(refused, "connect_error");
    expect(err.message).to.equal("Invalid namespace");
  });

  it("a dynamic namespace by function (with the client's auth)", async () => {
    const fx = await cluster({
      setup: (io) =>
        io
          .of((name, auth, next) => next(null, name.startsWith("/fn-") && auth.pass === "yes"))
          .on("connection", (socket) => socket.on("where", (cb: (w: string) => void) => cb(socket.nsp.name))),
    });
    for (let i = 0; i < 2; i++) {
      const client = await fx.connect(i, { auth: { pass: "yes" } }, `/fn-${i}`);
      expect(await client.emitWithAck("where")).to.equal(`/fn-${i}`);
    }
    const refused = createClient(`${fx.urls[1]}/fn-9`, { auth: { pass: "no" } });
    const [err] = await once<[Error]>(refused, "connect_error");
    expect(err.message).to.equal("Invalid namespace");
  });

  it("a static namespace: broadcasts from the other app-node, and isolation from /", async () => {
    const fx = await cluster({
      setup: (io) => io.of("/chat").on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x))),
    });
    await waitForPeers(fx.apps, "/chat");
    const chat = await fx.connect(0, {}, "/chat");
    const main = await fx.connect(1);
    const mainGot: unknown[] = [];
    main.on("chat-news", (x) => mainGot.push(x));
    const owner = fx.ownerOf(chat.id!, "/chat");
    const other = fx.apps.find((a) => a !== owner)!;
    const got = once(chat, "chat-news");
    other.of("/chat").emit("chat-news", "hi");
    expect(await got).to.deep.equal(["hi"]);
    await main.emitWithAck("echo", 0);
    expect(mainGot).to.deep.equal([]);
    expect((await other.of("/chat").fetchSockets()).map((s) => s.id)).to.deep.equal([chat.id]);
  });

  it("fetchSockets() across app-nodes returns RemoteSockets with handshake, rooms and data", async () => {
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.data.user = { name: socket.handshake.auth.name, tags: ["a", "b"] };
          socket.join(["r1", `user:${socket.handshake.auth.name}`]);
        }),
    });
    const clients: ClientSocket[] = [];
    for (let i = 0; i < 4; i++) {
      clients.push(
        await fx.connect(i % 2, {
          auth: { name: `u${i}` },
          query: { foo: "bar", i: String(i) },
          extraHeaders: { "x-custom": `header-${i}` },
        }),
      );
    }
    for (const io of fx.apps) {
      const sockets = await io.fetchSockets();
      expect(sockets.map((s) => s.id).sort()).to.deep.equal(clients.map((c) => c.id).sort());
      for (const [i, client] of clients.entries()) {
        const remote = sockets.find((s) => s.id === client.id)!;
        const local = fx.serverSocket(client.id!);
        const h = remote.handshake;
        expect(h.headers["x-custom"]).to.equal(`header-${i}`);
        expect(h.query).to.include({ foo: "bar", i: String(i), EIO: "4" });
        expect(h.auth).to.deep.equal({ name: `u${i}` });
        expect(h.url).to.match(/^\/socket\.io\/\?/);
        expect(h.url).to.contain("foo=bar");
        expect(h.address).to.match(/^(::ffff:)?127\.0\.0\.1$/);
        expect(h.secure).to.equal(false);
        // a remote copy is the owner's handshake, as JSON
        expect(h).to.deep.equal(JSON.parse(JSON.stringify(local.handshake)));
        expect([...remote.rooms].sort()).to.deep.equal([client.id, "r1", `user:u${i}`].sort());
        expect(remote.data.user).to.deep.equal({ name: `u${i}`, tags: ["a", "b"] });
        expect(remote.data.app).to.equal(fx.apps.indexOf(fx.ownerOf(client.id!)));
      }
    }
    const inRoom = await fx.apps[0].in("user:u3").fetchSockets();
    expect(inRoom.map((s) => s.id)).to.deep.equal([clients[3].id]);
  });

  it("a RemoteSocket from the other app-node can emit, join, leave and disconnect", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const client = find(placed, 1, 0);
    const [remote] = (await fx.apps[0].in(client.id!).fetchSockets()) as RemoteSocket<any, any>[];
    expect(remote).to.not.equal(undefined);
    expect(fx.apps[0].of("/").sockets.has(client.id!)).to.equal(false);
    const got = once(client, "direct");
    remote.emit("direct", { from: "app 0" });
    expect(await got).to.deep.equal([{ from: "app 0" }]);
    remote.join("joined-remotely");
    await waitFor(() => fx.serverSocket(client.id!).rooms.has("joined-remotely"));
    remote.leave("joined-remotely");
    await waitFor(() => !fx.serverSocket(client.id!).rooms.has("joined-remotely"));
    const gone = once<[string]>(client, "disconnect");
    remote.disconnect();
    expect((await gone)[0]).to.equal("io server disconnect");
  });

  it("socketsJoin / socketsLeave / disconnectSockets act on the sockets of every app-node", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const ids = placed.map((p) => p.client.id!);
    const roomsOf = (id: string) => fx.serverSocket(id).rooms;

    fx.apps[0].socketsJoin("everyone");
    await waitFor(() => ids.every((id) => roomsOf(id).has("everyone")), 5_000, "everyone joined");

    const target = find(placed, 0).id!;
    fx.apps[1].in(target).socketsJoin("picked");
    await waitFor(() => roomsOf(target).has("picked"), 5_000, "the target to join");
    expect(ids.filter((id) => roomsOf(id).has("picked"))).to.deep.equal([target]);

    fx.apps[1].in("picked").socketsLeave("everyone");
    await waitFor(() => !roomsOf(target).has("everyone"), 5_000, "the target to leave");
    expect(ids.filter((id) => roomsOf(id).has("everyone")).length).to.equal(3);

    const leaving = placed.filter((p) => p.client.id !== target);
    const gone = leaving.map((p) => once<[string]>(p.client, "disconnect").then(([r]) => r));
    fx.apps[0].in("everyone").disconnectSockets();
    expect(await Promise.all(gone)).to.deep.equal(["io server disconnect", "io server disconnect", "io server disconnect"]);
    const remaining = await fx.apps[0].fetchSockets();
    expect(remaining.map((s) => s.id)).to.deep.equal([target]);
  });

  it("serverSideEmit between app-nodes, with and without acks", async () => {
    const fx = await cluster();
    const received: Array<[number, unknown[]]> = [];
    fx.apps.forEach((io, i) => {
      io.on("note", (...args: unknown[]) => received.push([i, args]));
      io.on("ask", (q: string, cb: (a: string) => void) => cb(`app ${i} answers ${q}`));
    });
    fx.apps[0].serverSideEmit("note", "hello", { n: 1 });
    await waitFor(() => received.length === 1);
    expect(received).to.deep.equal([[1, ["hello", { n: 1 }]]]);

    const answers = await fx.apps[0].serverSideEmitWithAck("ask", "why");
    expect(answers).to.deep.equal(["app 1 answers why"]);
    const viaCallback = await new Promise<[Error | null, unknown[]]>((resolve) =>
      fx.apps[1].serverSideEmit("ask", "how", (err: Error | null, res: unknown[]) => resolve([err, res])),
    );
    expect(viaCallback).to.deep.equal([null, ["app 0 answers how"]]);
    // the sender never hears itself
    expect(received.map(([i]) => i)).to.deep.equal([1]);
  });

  it("onAny / onAnyOutgoing on server sockets, and onAny on the client", async () => {
    const seen: unknown[] = [];
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.onAny((event, ...args) => seen.push(["in", event, ...args]));
          socket.onAnyOutgoing((event, ...args) => seen.push(["out", event, ...args]));
          socket.on("trigger", () => socket.emit("triggered", 42));
        }),
    });
    const placed = await spread(fx, 2);
    for (const p of placed) {
      const clientSeen: unknown[] = [];
      p.client.onAny((event, ...args) => clientSeen.push([event, ...args]));
      const got = once(p.client, "triggered");
      p.client.emit("trigger", "x", { y: 1 });
      await got;
      expect(clientSeen).to.deep.equal([["triggered", 42]]);
    }
    expect(seen).to.deep.equal([
      ["in", "trigger", "x", { y: 1 }],
      ["out", "triggered", 42],
      ["in", "trigger", "x", { y: 1 }],
      ["out", "triggered", 42],
    ]);
  });

  it("binary payloads in events, acks and broadcasts", async () => {
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.on("bin", (a: Buffer, obj: { inner: Buffer; list: Buffer[] }, cb: (...x: unknown[]) => void) => {
            cb(Buffer.concat([a, obj.inner, ...obj.list]), { isBuffer: Buffer.isBuffer(a) && Buffer.isBuffer(obj.inner) });
          });
          socket.on("bin-broadcast", (b: Buffer) => io.emit("bin-out", { payload: b, text: "with text" }));
        }),
    });
    const placed = await spread(fx, 4);
    const bytes = (b: unknown) => [...Buffer.from(b as Buffer)];
    for (const p of placed) {
      const answer = await new Promise<unknown[]>((resolve) =>
        p.client.emit(
          "bin",
          Buffer.from([0, 1, 2]),
          { inner: Buffer.from([255]), list: [Buffer.from("é"), Buffer.alloc(0)] },
          (...args: unknown[]) => resolve(args),
        ),
      );
      expect(bytes(answer[0])).to.deep.equal([0, 1, 2, 255, ...Buffer.from("é")]);
      expect(answer[1]).to.deep.equal({ isBuffer: true });
    }
    const big = Buffer.alloc(200_000, 7);
    const got = placed.map((p) => once<[{ payload: Buffer; text: string }]>(p.client, "bin-out"));
    placed[1].client.emit("bin-broadcast", big);
    for (const [msg] of await Promise.all(got)) {
      expect(msg.text).to.equal("with text");
      expect(Buffer.compare(Buffer.from(msg.payload), big)).to.equal(0);
    }
    // server → client ack carrying binary
    const c = placed[2].client;
    c.on("give", (cb: (b: Buffer) => void) => cb(Buffer.from([4, 2])));
    expect(bytes(await fx.serverSocket(c.id!).emitWithAck("give"))).to.deep.equal([4, 2]);
  });

  it("messages close to maxHttpBufferSize (1 MB) cross the cluster both ways", async () => {
    const fx = await cluster({
      setup: (io) => io.on("connection", (s) => s.on("size", (x: string | Buffer, cb: (n: number, back: unknown) => void) => cb(x.length, x))),
    });
    const placed = await spread(fx, 2, { transports: ["websocket"] });
    const text = "é".repeat(450_000); // 900 kB of UTF-8
    const bin = Buffer.alloc(900_000, 1);
    for (const p of placed) {
      const [n, back] = await new Promise<[number, string]>((resolve) => p.client.emit("size", text, (...a: [number, string]) => resolve(a)));
      expect(n).to.equal(text.length);
      expect(back === text).to.equal(true);
      const [m, backBin] = await new Promise<[number, Buffer]>((resolve) => p.client.emit("size", bin, (...a: [number, Buffer]) => resolve(a)));
      expect(m).to.equal(bin.length);
      expect(Buffer.compare(Buffer.from(backBin), bin)).to.equal(0);
    }
  });

  it("volatile emits reach connected clients", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const got = placed.map((p) => once(p.client, "v"));
    fx.apps[0].volatile.emit("v", "broadcast");
    expect(await Promise.all(got)).to.deep.equal(placed.map(() => ["broadcast"]));
    const one = find(placed, 1);
    const single = once(one, "v");
    fx.serverSocket(one.id!).volatile.emit("v", "single");
    expect(await single).to.deep.equal(["single"]);
  });

  it("volatile emits are dropped while the client cannot receive, as in plain socket.io", async () => {
    // a hand-driven polling client: between two GETs its transport is not writable
    async function scenario(url: string, socketOf: (id: string) => ServerSocket): Promise<string[]> {
      const hs = await pollingHandshake(url);
      const base = `${url}/socket.io/?EIO=4&transport=polling&sid=${hs.sid}`;
      expect((await request(base, { method: "POST", body: "40" })).body).to.equal("ok");
      const connected = await request(base);
      const id = (JSON.parse(connected.body.slice(connected.body.indexOf("{"))) as { sid: string }).sid;
      const socket = await waitFor(() => socketOf(id));
      socket.volatile.emit("v", "dropped");
      socket.emit("n", "kept");
      // once the later, non-volatile packet waits in Engine.IO's buffer, poll
      await waitFor(() => bufferedFor(hs.sid!), 5_000, "the kept packet to be buffered");
      const polled = await request(base);
      return polled.body.split("\x1e");
    }
    const fx = await cluster();
    const bufferedFor = (sid: string): boolean =>
      [...fx.ioNodes.map((n) => n.engine), ...plainEngines].some((engine) => {
        const sock = (engine as unknown as { clients: Record<string, { writeBuffer: unknown[] }> }).clients[sid];
        return !!sock && sock.writeBuffer.length > 0;
      });
    const plainEngines: PlainServer["engine"][] = [];
    const ours = await scenario(fx.urls[1], (id) => fx.apps.map((a) => a.of("/").sockets.get(id)).find(Boolean)!);
    const { server, url } = await httpServer();
    const plain = track(new PlainServer(server));
    plainEngines.push(plain.engine);
    const theirs = await scenario(url, (id) => plain.of("/").sockets.get(id)!);
    expect(theirs).to.deep.equal(['42["n","kept"]']);
    expect(ours).to.deep.equal(theirs);
  });

  it("compress(false) reaches the io-node's write; the default compresses", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    // watch what each io-node asks Engine.IO to do with its writes
    const writes: Array<{ data: unknown; compress: unknown }> = [];
    for (const node of fx.ioNodes) {
      const clients = (node.engine as unknown as { clients: Record<string, { write: (...a: any[]) => unknown }> }).clients;
      for (const sock of Object.values(clients)) {
        const original = sock.write.bind(sock);
        sock.write = (data: unknown, opts?: { compress?: boolean }, cb?: unknown) => {
          writes.push({ data, compress: opts?.compress });
          return original(data, opts, cb);
        };
      }
    }
    const client = find(placed, 1);
    const socket = fx.serverSocket(client.id!);
    const a = once(client, "uncompressed");
    socket.compress(false).emit("uncompressed", 1);
    await a;
    const b = once(client, "compressed");
    socket.emit("compressed", 2);
    await b;
    const all = placed.map((p) => once(p.client, "bcast"));
    fx.apps[0].compress(false).emit("bcast", 3);
    await Promise.all(all);
    const byEvent = (name: string) => writes.filter((w) => typeof w.data === "string" && w.data.includes(`"${name}"`));
    expect(byEvent("uncompressed").map((w) => w.compress)).to.deep.equal([false]);
    expect(byEvent("compressed").map((w) => w.compress)).to.deep.equal([true]);
    expect(byEvent("bcast").map((w) => w.compress)).to.deep.equal(placed.map(() => false));
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

  it('send() and the "message" event, both ways', async () => {
    const fx = await cluster({
      setup: (io) => io.on("connection", (socket) => socket.on("message", (...args: unknown[]) => socket.send("re:", ...args))),
    });
    const placed = await spread(fx, 2);
    for (const p of placed) {
      const got = once(p.client, "message");
      p.client.send("hello", { n: 1 });
      expect(await got).to.deep.equal(["re:", "hello", { n: 1 }]);
    }
  });

  it("io.local reaches and fetches only the app-node's own sockets", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    for (const [i, io] of fx.apps.entries()) {
      const mine = placed.filter((p) => p.app === i).map((p) => p.client.id).sort();
      expect((await io.local.fetchSockets()).map((s) => s.id).sort()).to.deep.equal(mine);
      const got: string[] = [];
      for (const p of placed) p.client.once("local-news", () => got.push(p.client.id!));
      io.local.emit("local-news");
      // a round trip of every client after the emit: anything sent to it has arrived by then
      for (const p of placed) await p.client.emitWithAck("echo", 0);
      expect(got.sort()).to.deep.equal(mine);
      for (const p of placed) p.client.off("local-news");
    }
  });

  it("to() / except() combinations across app-nodes", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const [a, b, c, d] = placed.map((p) => p.client);
    await a.emitWithAck("join", "red");
    await b.emitWithAck("join", "red");
    await b.emitWithAck("join", "vip");
    await c.emitWithAck("join", "blue");
    const got = new Map<ClientSocket, string[]>(placed.map((p) => [p.client, []]));
    for (const p of placed) p.client.onAny((event: string) => got.get(p.client)!.push(event));
    const io = fx.apps[1];
    io.to("red").except("vip").emit("red-not-vip");
    io.to(["red", "blue"]).emit("red-or-blue");
    io.except(["red", "blue"]).emit("neither");
    io.to("red").to("vip").emit("red-or-vip-once");
    io.in(d.id!).emit("to-d-by-id");
    io.to("red").except(a.id!).emit("red-but-a");
    // a broadcast from app-node 1 reaches a socket of app-node 0 on app-node 1's link to its io-node,
    // the socket's round trip goes by app-node 0's: no order between the two, as between any two
    // Socket.IO servers; so wait for the 9 deliveries, then a round trip of every client, after
    // which a wrong extra one would be there
    const count = () => [...got.values()].reduce((n, events) => n + events.length, 0);
    await waitFor(() => count() >= 9, 5_000, "9 deliveries");
    for (const p of placed) await p.client.emitWithAck("echo", 0);
    expect(got.get(a)).to.deep.equal(["red-not-vip", "red-or-blue", "red-or-vip-once"]);
    expect(got.get(b)).to.deep.equal(["red-or-blue", "red-or-vip-once", "red-but-a"]);
    expect(got.get(c)).to.deep.equal(["red-or-blue"]);
    expect(got.get(d)).to.deep.equal(["neither", "to-d-by-id"]);
  });

  it("keeps the order of a socket's emits, and of emits mixed with broadcasts", async () => {
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.on("burst", (n: number) => {
            for (let i = 0; i < n; i++) {
              socket.emit("seq", i);
              if (i % 10 === 0) io.to(socket.id).emit("seq", `b${i}`);
            }
            socket.emit("seq", "end");
          });
          const received: unknown[] = [];
          socket.on("up", (i: number) => received.push(i));
          socket.on("received", (cb: (r: unknown[]) => void) => cb(received));
        }),
    });
    const placed = await spread(fx, 2);
    for (const p of placed) {
      const seen: unknown[] = [];
      p.client.on("seq", (x) => seen.push(x));
      const end = new Promise<void>((resolve) => p.client.on("seq", (x) => x === "end" && resolve()));
      p.client.emit("burst", 300);
      await end;
      const expected: unknown[] = [];
      for (let i = 0; i < 300; i++) {
        expected.push(i);
        if (i % 10 === 0) expected.push(`b${i}`);
      }
      expected.push("end");
      expect(seen).to.deep.equal(expected);
      for (let i = 0; i < 300; i++) p.client.emit("up", i);
      expect(await p.client.emitWithAck("received")).to.deep.equal([...Array(300).keys()]);
    }
  });

  it("one connection with several namespaces: all on one app-node; disconnect(true) closes them all", async () => {
    const fx = await cluster({
      setup: (io, i) => {
        io.of("/admin").on("connection", (socket) => {
          socket.on("where", (cb: (w: unknown) => void) => cb({ app: i, nsp: socket.nsp.name }));
          socket.on("close-all", () => socket.disconnect(true));
        });
      },
    });
    await waitForPeers(fx.apps, "/admin");
    const main = await fx.connect(1);
    const admin = main.io.socket("/admin");
    await once(admin, "connect");
    const whereMain = (await main.emitWithAck("whoami")) as { app: number };
    const whereAdmin = (await admin.emitWithAck("where")) as { app: number; nsp: string };
    expect(whereAdmin).to.deep.equal({ app: whereMain.app, nsp: "/admin" });
    const mainGone = once<[string]>(main, "disconnect");
    const adminGone = once<[string]>(admin, "disconnect");
    admin.emit("close-all");
    expect((await adminGone)[0]).to.equal("io server disconnect");
    // as in plain socket.io, every namespace of the connection is disconnected by the server
    expect((await mainGone)[0]).to.equal("io server disconnect");
    await waitFor(() => fx.ioNodes[1].connectionsCount === 0, 5_000, "the io-node to close the connection");
  });

  it("disconnectSockets(true) from the other app-node closes the connections", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const reasons = placed.map((p) => once<[string]>(p.client, "disconnect").then(([r]) => r));
    fx.apps[0].disconnectSockets(true);
    expect(await Promise.all(reasons)).to.deep.equal(placed.map(() => "io server disconnect"));
    await waitFor(
      () => fx.ioNodes.every((n) => n.connectionsCount === 0),
      5_000,
      "the io-nodes to close every connection",
    );
  });

  it("a namespace's serverSideEmit stays in that namespace", async () => {
    const fx = await cluster();
    await waitForPeers(fx.apps, "/jobs");
    const got: unknown[] = [];
    fx.apps[1].of("/jobs").on("job", (x: unknown, cb: (r: string) => void) => {
      got.push(x);
      cb("done");
    });
    fx.apps[1].on("job", () => got.push("wrong namespace"));
    expect(await fx.apps[0].of("/jobs").serverSideEmitWithAck("job", 7)).to.deep.equal(["done"]);
    expect(got).to.deep.equal([7]);
  });

  it("broadcast acks with nobody to answer resolve with no responses, as in plain socket.io", async () => {
    const fx = await cluster();
    await spread(fx, 2);
    expect(await fx.apps[0].to("empty-room").timeout(3_000).emitWithAck("anyone")).to.deep.equal([]);
    expect(await fx.apps[1].of("/").to("empty-room").timeout(3_000).emitWithAck("anyone")).to.deep.equal([]);
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

  it("binary payloads over polling only", async () => {
    const fx = await cluster();
    for (const io of fx.apps) {
      io.on("connection", (socket) => socket.on("bin-echo", (b: Buffer, cb: (x: Buffer) => void) => cb(Buffer.concat([b, b]))));
    }
    const placed = await spread(fx, 2, { transports: ["polling"] });
    for (const p of placed) {
      expect(p.client.io.engine.transport.name).to.equal("polling");
      const answer = (await p.client.emitWithAck("bin-echo", Buffer.from([0, 255, 10]))) as Buffer;
      expect([...Buffer.from(answer)]).to.deep.equal([0, 255, 10, 0, 255, 10]);
      const pushed = once<[Buffer]>(p.client, "bin-push");
      fx.apps[1 - p.app].emit("bin-push", Buffer.from("é✓"));
      expect(Buffer.from((await pushed)[0]).toString()).to.equal("é✓");
    }
  });

  it("a broadcast reaches 40 clients spread over the cluster", async () => {
    const fx = await cluster();
    const clients: ClientSocket[] = [];
    await Promise.all(
      [...Array(40).keys()].map(async (i) => clients.push(await fx.connect(i % 2, { transports: [i % 4 < 2 ? "websocket" : "polling"] }))),
    );
    expect((await fx.apps[0].fetchSockets()).length).to.equal(40);
    const owners = new Set(clients.map((c) => fx.ownerOf(c.id!)));
    expect(owners.size).to.equal(2);
    for (const io of fx.apps) {
      const got = clients.map((c) => once(c, "to-all"));
      io.emit("to-all", { big: "x".repeat(10_000) });
      const all = await Promise.all(got);
      expect(all.every(([m]) => (m as { big: string }).big.length === 10_000)).to.equal(true);
    }
  });

  describe("disconnect reasons", () => {
    async function reasonFor(
      act: (client: ClientSocket, socket: ServerSocket) => void,
    ): Promise<{ server: string; client?: string }> {
      const fx = await cluster();
      const placed = await spread(fx, 2);
      // a client of the second io-node, so that everything crosses Redis
      const client = placed[1].client;
      const socket = fx.serverSocket(client.id!);
      const clientReason = once<[string]>(client, "disconnect").then(([r]) => r);
      const serverReason = once<[string]>(socket, "disconnect").then(([r]) => r);
      act(client, socket);
      const server = await serverReason;
      const c = await Promise.race([clientReason, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2_000))]);
      // the other client is unaffected
      expect(await placed[0].client.emitWithAck("echo", "ok")).to.equal("ok");
      return { server, client: c };
    }

    it('"client namespace disconnect" when the client disconnects', async () => {
      const r = await reasonFor((client) => client.disconnect());
      expect(r).to.deep.equal({ server: "client namespace disconnect", client: "io client disconnect" });
    });

    it('"server namespace disconnect" when the server disconnects the socket', async () => {
      const r = await reasonFor((_c, socket) => socket.disconnect());
      expect(r).to.deep.equal({ server: "server namespace disconnect", client: "io server disconnect" });
    });

    it('"server namespace disconnect" and a closed connection with disconnect(true)', async () => {
      const r = await reasonFor((_c, socket) => socket.disconnect(true));
      expect(r).to.deep.equal({ server: "server namespace disconnect", client: "io server disconnect" });
    });

    it('"transport close" when the client closes its engine', async () => {
      const r = await reasonFor((client) => client.io.engine.close());
      expect(r.server).to.equal("transport close");
    });
  });
});
