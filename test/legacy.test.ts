import { expect } from "chai";
import { randomBytes } from "crypto";
import { createServer, Server as HttpServer } from "http";
import { AddressInfo } from "net";
import { io as ioc, Socket as ClientSocket } from "socket.io-client";
import {
  AppMessageBody,
  AppServer,
  IoListener,
  IoMessageBody,
  LegacyClient,
  LegacyConfig,
  makeAppServer,
  makeFrontendServer,
  makeIoListener,
  makeListener,
  SocketIoAdapter,
} from "../src";
import { AnyEmitter, once, waitFor } from "./helpers/wait";

const REDIS = process.env.SOCKET_IO_CLUSTER_TEST_REDIS_URL;

function config(): LegacyConfig {
  if (!REDIS) throw new Error("SOCKET_IO_CLUSTER_TEST_REDIS_URL is not set: run the tests with `npm test`");
  return { REDIS_URL: REDIS, PREFIX: `legacy-${randomBytes(4).toString("hex")}`, HEARTBEAT_INTERVAL: 100, NODE_TIMEOUT: 600 };
}

/** The next `event`: its argument, or its arguments when there are several. */
function next<T = unknown>(emitter: AnyEmitter, event: string): Promise<T> {
  return once(emitter, event, { timeout: 10_000 }).then((args) => (args.length > 1 ? args : args[0]) as T);
}

/** The app-nodes the io-node of the test sees alive. */
function aliveApps(ioNode: IoListener): string[] {
  return (ioNode.server.node as any).registry.alive("app").map((r: { id: string }) => r.id);
}

describe("legacy 0.6-style API", function () {
  this.timeout(15_000);
  let cfg: LegacyConfig;
  let http: HttpServer;
  let ioNode: IoListener;
  let url: string;
  const clients: ClientSocket[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  beforeEach(async () => {
    cfg = config();
    http = createServer();
    ioNode = makeIoListener(http, cfg);
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    await ioNode.server.whenReady();
    closers.push(async () => {
      await ioNode.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    });
  });

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.disconnect());
    // app-nodes first, the io-node (pushed first) last
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function listener(): Promise<SocketIoAdapter> {
    const l = makeListener(cfg);
    closers.push(() => l.close());
    await l.io.ready();
    await waitFor(() => aliveApps(ioNode).includes(l.io.cluster.appNodeId), { what: "the io-node to see the listener" });
    return l;
  }

  async function client(): Promise<ClientSocket> {
    const c = ioc(url, { forceNew: true, reconnection: false });
    clients.push(c);
    await next(c, "connect");
    return c;
  }

  it("makeListener: connection, clients, send, message and disconnect", async () => {
    const io = await listener();
    const connected = next<LegacyClient>(io, "connection");
    const clientConnect = next<LegacyClient>(io, "clientConnect");
    const c = await client();
    const legacy = await connected;
    expect(legacy.sessionId).to.equal(c.id);
    expect(await clientConnect).to.equal(legacy);
    expect(io.clients[c.id!]).to.equal(legacy);

    const got = next(c, "message");
    legacy.send({ buffer: ["x"] });
    expect(await got).to.deep.equal({ buffer: ["x"] });

    const onClient = next(legacy, "message");
    const onListener = next<[unknown, LegacyClient]>(io, "clientMessage");
    c.send("hello");
    expect(await onClient).to.equal("hello");
    expect(await onListener).to.deep.equal(["hello", legacy]);

    const gone = next<LegacyClient>(io, "clientDisconnect");
    const clientGone = next(legacy, "disconnect");
    c.disconnect();
    expect(await gone).to.equal(legacy);
    expect(await clientGone).to.equal("client namespace disconnect");
    expect(io.clients[c.id ?? legacy.sessionId]).to.equal(undefined);
  });

  it("broadcast, broadcastExcept, broadcastOnly, client.broadcast", async () => {
    const io = await listener();
    const [a, b, c] = [await client(), await client(), await client()];
    await waitFor(() => Object.keys(io.clients).length === 3, { timeout: 8_000, what: "the three legacy clients" });
    const inbox = collect([a, b, c]);

    io.broadcast("to all but a", a.id!);
    io.broadcastExcept("to all but b", [b.id!]);
    io.broadcastOnly("only c", c.id!);
    io.clients[a.id!].broadcast("from a");
    await waitFor(() => inbox.total() === 2 + 2 + 1 + 2, { timeout: 8_000, what: "the messages" });
    expect(inbox.of(a)).to.deep.equal(["to all but b"]);
    expect(inbox.of(b)).to.deep.equal(["to all but a", "from a"]);
    expect(inbox.of(c)).to.deep.equal(["to all but a", "to all but b", "only c", "from a"]);
  });

  it("channels: subscribeToChannel, broadcastToChannel (listener and client), unsubscribeFromChannel", async () => {
    const io = await listener();
    const [a, b, c] = [await client(), await client(), await client()];
    await waitFor(() => Object.keys(io.clients).length === 3, { timeout: 8_000, what: "the three legacy clients" });
    const inbox = collect([a, b, c]);
    io.clients[a.id!].subscribeToChannel("news");
    io.clients[b.id!].subscribeToChannel("news");
    // no wait: a join and a broadcast from the same app-node reach the io-node in that order
    io.broadcastToChannel("news", "n1");
    io.broadcastToChannel("news", "n2", a.id!);
    io.clients[b.id!].broadcastToChannel("news", "from b");
    await waitFor(() => inbox.total() === 4, { timeout: 8_000, what: "the messages" });
    expect(inbox.of(a)).to.deep.equal(["n1", "from b"]);
    expect(inbox.of(b)).to.deep.equal(["n1", "n2"]);
    expect(inbox.of(c)).to.deep.equal([]);
    io.clients[b.id!].unsubscribeFromChannel("news");
    io.broadcastToChannel("news", "n3");
    await waitFor(() => inbox.total() === 5, { timeout: 8_000, what: "the messages" });
    expect(inbox.of(b)).to.deep.equal(["n1", "n2"]);
    expect(inbox.of(a)).to.deep.equal(["n1", "from b", "n3"]);
  });

  it("getClientInfo: the io-node's fields reach the app-node with every message, kept up to date", async () => {
    const io = await listener();
    const app = makeAppServer(cfg);
    closers.push(() => app.close());
    await app.whenReady();
    ioNode.getClientInfo = (client) => ({ sessionId: client.sessionId, userId: client.userId ?? null, puzzle: "p-1" });
    // the original's custom message: the app-node sets a field on the io-node's client
    ioNode.server.on("app setUserId", (message: AppMessageBody) => {
      const target = ioNode.socketIo.clients[message.recipients[0].id!];
      if (target) target.userId = (message.data as { userId: number }).userId;
    });
    const c = await client();
    await waitFor(() => !!io.clients[c.id!], { timeout: 8_000 });
    const legacy = io.clients[c.id!];
    c.send("first");
    await next(legacy, "message");
    expect(legacy.puzzle).to.equal("p-1");
    expect(legacy.userId).to.equal(null);

    app.createMessage({ userId: 42 }).setType("setUserId").forClient(c.id!).send();
    await waitFor(() => ioNode.socketIo.clients[c.id!]?.userId === 42, { timeout: 8_000 });
    c.send("second");
    await next(legacy, "message");
    expect(legacy.userId).to.equal(42);
    expect(typeof legacy.send).to.equal("function");
  });

  it("makeAppServer: events per type, and the message builder (publish, channels, custom types both ways)", async () => {
    const app: AppServer = makeAppServer(cfg);
    closers.push(() => app.close());
    await app.whenReady();
    await waitFor(() => aliveApps(ioNode).length === 1, { what: "the io-node to see the app server" });
    const connected = next<IoMessageBody>(app, "connection");
    const [a, b] = [await client(), await client()];
    const first = await connected;
    expect(first.type).to.equal("connection");
    expect([a.id, b.id]).to.include(first.client!.sessionId);
    const inbox = collect([a, b]);

    const message = next<IoMessageBody>(app, "message");
    a.send("hi");
    const m = await message;
    expect(m).to.deep.include({ type: "message", data: "hi" });
    expect(m.client!.sessionId).to.equal(a.id);

    app.createMessage("everyone").forAll().send();
    app.createMessage("not a").forAll().exceptClient(a.id!).send();
    app.createMessage("just a").forClient(a.id!).send();
    app.createMessage().setType("subscribe-to-channel").setData("vip").forClient(b.id!).send();
    // no wait: the join and the channel message leave this app-node in that order
    app.createMessage().setData("vip only").forChannel("vip").send();
    app.createMessage().setData("via addRecipient").addRecipient("client", b.id!).send();
    await waitFor(() => inbox.total() === 6, { timeout: 8_000, what: "the messages" });
    expect(inbox.of(a)).to.deep.equal(["everyone", "just a"]);
    expect(inbox.of(b)).to.deep.equal(["everyone", "not a", "vip only", "via addRecipient"]);

    // a custom type reaches io-nodes; and io-nodes can send custom types to app-nodes
    const atIo = next<AppMessageBody>(ioNode.server, "app ping");
    app.createMessage({ n: 1 }).setType("ping").forAll().send();
    expect((await atIo).data).to.deep.equal({ n: 1 });
    const atApp = next<IoMessageBody>(app, "pong");
    ioNode.server.createMessage(ioNode.socketIo.clients[a.id!], { n: 2 }).setType("pong").send();
    const pong = await atApp;
    expect(pong.data).to.deep.equal({ n: 2 });
    expect(pong.client!.sessionId).to.equal(a.id);

    const disconnected = next<IoMessageBody>(app, "disconnect");
    b.disconnect();
    expect((await disconnected).client!.sessionId).to.equal(b.id ?? (await disconnected).client!.sessionId);
  });

  it("io-node events: socket connection, socket message, socket disconnect", async () => {
    await listener();
    const connected = next<{ sessionId: string }>(ioNode.server, "socket connection");
    const c = await client();
    expect((await connected).sessionId).to.equal(c.id);
    const message = next<[{ sessionId: string }, unknown]>(ioNode.server, "socket message");
    c.send({ text: "yo" });
    const [who, data] = await message;
    expect(who.sessionId).to.equal(c.id);
    expect(data).to.deep.equal({ text: "yo" });
    const gone = next<{ sessionId: string }>(ioNode.server, "socket disconnect");
    const id = c.id;
    c.disconnect();
    expect((await gone).sessionId).to.equal(id);
  });

  it("makeFrontendServer: CLIENT_CONFIG_URL lists the live io-node in the original's format", async () => {
    const pages = createServer((_req, res) => res.end("page"));
    const frontend = makeFrontendServer(pages, { ...cfg, CLIENT_CONFIG_URL: "/servers.js" });
    closers.push(async () => {
      await frontend.close();
      pages.closeAllConnections();
      await new Promise((r) => pages.close(r));
    });
    await new Promise<void>((r) => pages.listen(0, "127.0.0.1", r));
    await frontend.ready();
    const base = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
    const ioPort = Number(new URL(url).port);
    const body = await waitFor(async () => (await fetch(`${base}/servers.js`)).text(), {
      timeout: 8_000,
      what: "the io-node in /servers.js",
      accept: (text) => text.includes(`"port":${ioPort}`),
    });
    expect(body).to.match(/^var SOCKET_SERVERS = \[\{"host":"[^"]+","port":\d+\}\];\s*$/);
    // the pages of the server it is mounted on are still served
    expect(await (await fetch(`${base}/chat.html`)).text()).to.equal("page");
  });

  it("no-client: an app-node that takes a client over fires it before the client's next message", async () => {
    const first = await listener();
    const c = await client();
    await waitFor(() => !!first.clients[c.id!], { timeout: 8_000 });
    const second = await listener();
    const seen: unknown[] = [];
    second.on("no-client", (legacy: LegacyClient) => legacy.on("message", (m) => seen.push(m)));
    second.on("connection", () => seen.push("unexpected connection event"));
    await first.io.handOver();
    await waitFor(() => !aliveApps(ioNode).includes(first.io.cluster.appNodeId), { what: "the io-node to see the first app-node leave" });
    // the client keeps its connection; its next message reaches the new app-node's handlers
    c.send("after the move");
    await waitFor(() => seen.length > 0, { timeout: 8_000 });
    expect(seen).to.deep.equal(["after the move"]);
  });
});

function collect(sockets: ClientSocket[]) {
  const got = new Map<ClientSocket, unknown[]>(sockets.map((s) => [s, []]));
  for (const s of sockets) s.on("message", (m) => got.get(s)!.push(m));
  return {
    of: (s: ClientSocket) => got.get(s)!,
    total: () => [...got.values()].reduce((n, l) => n + l.length, 0),
  };
}
