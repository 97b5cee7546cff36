/**
 * A standalone io-node (createIoNode) runs the real Engine.IO server: its options behave as they
 * do on a plain socket.io server, while the application runs on an app-node behind Redis.
 */
import { expect } from "chai";
import type { IncomingMessage } from "http";
import { Server as PlainServer } from "socket.io";
import type { Socket as ServerSocket } from "socket.io";
import { Server, createIoNode } from "../src";
import type { RelayConnection } from "../src";
import {
  closeClient,
  ClusterFixtureOptions,
  connect,
  createClient,
  FAST,
  httpServer,
  once,
  pollingHandshake,
  portOf,
  redisUrl,
  request,
  startCluster,
  track,
  uniquePrefix,
  waitFor,
} from "./helpers";

/** One io-node and one app-node whose sockets answer "echo" and report their transport. */
async function single(ioNodeOptions: ClusterFixtureOptions["ioNodeOptions"] = {}) {
  const serverSockets: ServerSocket[] = [];
  const fx = await startCluster({
    ioNodes: 1,
    appNodes: 1,
    ioNodeOptions,
    setup: (io) =>
      io.on("connection", (socket) => {
        serverSockets.push(socket);
        socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x));
        socket.on("transport", (cb: (t: string) => void) => cb(socket.conn.transport.name));
      }),
  });
  return { fx, url: fx.urls[0], node: fx.ioNodes[0], io: fx.apps[0], serverSockets };
}

function handshakeUrl(base: string, path = "/socket.io/", query = ""): string {
  return `${base}${path}?EIO=4&transport=polling${query}`;
}

describe("io-node: Engine.IO options", () => {
  it("path: serves Socket.IO under a custom path only", async () => {
    const { url } = await single({ path: "/custom" });
    const client = await connect(url, { path: "/custom" });
    expect(await client.emitWithAck("echo", "through /custom")).to.equal("through /custom");
    const atDefault = await pollingHandshake(url);
    expect(atDefault.status).to.equal(404);
    const atCustom = await pollingHandshake(url, { path: "/custom/" });
    expect(atCustom.status).to.equal(200);
    expect(atCustom.body).to.match(/^0\{"sid":/);
  });

  it("cors: answers with the same CORS headers as plain socket.io", async () => {
    const cors = { origin: "https://app.example", credentials: true };
    const { url } = await single({ cors });
    const { server: plainHttp, url: plainUrl } = await httpServer();
    track(new PlainServer(plainHttp, { cors }));
    const headers = { origin: "https://app.example" };
    const [ours, theirs] = await Promise.all([
      pollingHandshake(url, { headers }),
      pollingHandshake(plainUrl, { headers }),
    ]);
    expect(ours.status).to.equal(200);
    expect(ours.headers["access-control-allow-origin"]).to.equal("https://app.example");
    expect(ours.headers["access-control-allow-credentials"]).to.equal("true");
    expect(ours.headers["access-control-allow-origin"]).to.equal(theirs.headers["access-control-allow-origin"]);
    const preflight = { origin: "https://app.example", "access-control-request-method": "POST" };
    const [ourPre, theirPre] = await Promise.all([
      request(handshakeUrl(url), { method: "OPTIONS", headers: preflight }),
      request(handshakeUrl(plainUrl), { method: "OPTIONS", headers: preflight }),
    ]);
    expect(ourPre.status).to.equal(theirPre.status);
    expect(ourPre.headers["access-control-allow-methods"]).to.equal(theirPre.headers["access-control-allow-methods"]);
    expect(ourPre.headers["access-control-allow-origin"]).to.equal("https://app.example");
    // another origin gets no permission
    const other = await pollingHandshake(url, { headers: { origin: "https://evil.example" } });
    expect(other.headers["access-control-allow-origin"]).to.not.equal("https://evil.example");
  });

  it("allowRequest: a rejected request never connects, an accepted one does", async () => {
    const { url, io } = await single({
      allowRequest: (req: IncomingMessage, cb: (err: string | null | undefined, ok: boolean) => void) =>
        cb(null, new URL(req.url ?? "/", "http://x").searchParams.get("key") === "ok"),
    });
    const rejected = createClient(url, { query: { key: "bad" } });
    const [err] = await once<[Error]>(rejected, "connect_error");
    expect(err).to.be.instanceOf(Error);
    const raw = await pollingHandshake(url, { query: "&key=bad" });
    expect(raw.status).to.equal(403);
    expect(JSON.parse(raw.body)).to.include({ code: 4 });
    const accepted = await connect(url, { query: { key: "ok" } });
    expect(await accepted.emitWithAck("echo", 1)).to.equal(1);
    expect((await io.fetchSockets()).map((s) => s.id)).to.deep.equal([accepted.id]);
  });

  for (const transport of ["websocket", "polling"] as const) {
    it(`maxHttpBufferSize (${transport}): an oversized message closes that client only`, async () => {
      const { url, node, serverSockets } = await single({ maxHttpBufferSize: 1_000 });
      const other = await connect(url, { transports: [transport] });
      const big = await connect(url, { transports: [transport] });
      const bigServerSocket = serverSockets.find((s) => s.id === big.id)!;
      const serverGone = once<[string]>(bigServerSocket, "disconnect");
      const clientGone = once<[string]>(big, "disconnect");
      big.emit("echo", "x".repeat(5_000));
      const [clientReason] = await clientGone;
      const [serverReason] = await serverGone;
      expect(clientReason).to.match(/transport (close|error)/);
      expect(serverReason).to.match(/transport (close|error)/);
      // the node keeps serving: the other client, and a new one
      expect(await other.emitWithAck("echo", "still here")).to.equal("still here");
      const late = await connect(url, { transports: [transport] });
      expect(await late.emitWithAck("echo", "x".repeat(500))).to.equal("x".repeat(500));
      await waitFor(() => node.connectionsCount === 2, 5_000, "the io-node to drop the closed connection");
    });
  }

  it('transports: ["polling"] only: clients stay on polling, websocket-only clients are refused', async () => {
    const { url, serverSockets } = await single({ transports: ["polling"] });
    const client = await connect(url);
    expect(await client.emitWithAck("echo", "p")).to.equal("p");
    expect(client.io.engine.transport.name).to.equal("polling");
    expect(await client.emitWithAck("transport")).to.equal("polling");
    expect(serverSockets[0].handshake.query.transport).to.equal("polling");
    const ws = createClient(url, { transports: ["websocket"] });
    await once(ws, "connect_error");
    expect(ws.connected).to.equal(false);
  });

  it('transports: ["websocket"] only: websocket clients connect, polling-only clients are refused', async () => {
    const { url, serverSockets } = await single({ transports: ["websocket"] });
    const client = await connect(url, { transports: ["websocket"] });
    expect(await client.emitWithAck("echo", "w")).to.equal("w");
    expect(client.io.engine.transport.name).to.equal("websocket");
    expect(await client.emitWithAck("transport")).to.equal("websocket");
    expect(serverSockets[0].conn.transport.name).to.equal("websocket");
    const polling = createClient(url, { transports: ["polling"] });
    await once(polling, "connect_error");
    expect(polling.connected).to.equal(false);
  });

  it("polling upgrades to websocket: both sides see the upgrade", async () => {
    const upgrades: string[] = [];
    const fx = await startCluster({
      ioNodes: 1,
      appNodes: 1,
      setup: (io) => {
        // the upgrade can come before Socket.IO's "connection": listen on the engine's connection
        io.engine.on("connection", (conn: RelayConnection) => {
          conn.on("upgrade", () => upgrades.push(conn.transport.name));
        });
        io.on("connection", (socket) => {
          socket.on("transport", (cb: (t: string) => void) => cb(socket.conn.transport.name));
          socket.on("first", (cb: (t: string) => void) => cb(socket.handshake.query.transport as string));
        });
      },
    });
    let clientUpgrade!: Promise<unknown>;
    const client = await connect(fx.urls[0], {}, (c) => (clientUpgrade = once(c.io.engine, "upgrade")));
    expect(await client.emitWithAck("first")).to.equal("polling");
    await clientUpgrade;
    expect(client.io.engine.transport.name).to.equal("websocket");
    await waitFor(() => upgrades.length > 0, 5_000, "the server-side upgrade event");
    expect(upgrades).to.deep.equal(["websocket"]);
    expect(fx.serverSocket(client.id!).conn.transport.name).to.equal("websocket");
    expect(await client.emitWithAck("transport")).to.equal("websocket");
    // and the connection still carries events both ways after the upgrade
    const pushed = once(client, "after-upgrade");
    fx.apps[0].emit("after-upgrade", "ok");
    expect(await pushed).to.deep.equal(["ok"]);
  });

  it("a connection that upgrades while it waits for an app-node is seen as websocket by the app-node", async () => {
    const prefix = uniquePrefix("pending-upgrade");
    const cluster = { redis: redisUrl(), prefix, ...FAST };
    const node = track(createIoNode({ port: 0, ...cluster }), "io-node");
    await node.ready();
    const client = createClient(`http://127.0.0.1:${await portOf(node.httpServer)}`);
    await once(client.io.engine, "upgrade");
    expect(client.io.engine.transport.name).to.equal("websocket");
    // only now does an app-node join
    const io = track(new Server({ cluster }), "app-node");
    io.on("connection", (socket) => socket.on("transport", (cb: (t: string) => void) => cb(socket.conn.transport.name)));
    await once(client, "connect", 5_000);
    expect(await client.emitWithAck("transport")).to.equal("websocket");
    closeClient(client);
  });

  it("serveClient: serves /socket.io/socket.io.js with socket.io's ETag, and 304 on If-None-Match", async () => {
    const { url } = await single();
    const { server: plainHttp, url: plainUrl } = await httpServer();
    track(new PlainServer(plainHttp));
    const res = await request(`${url}/socket.io/socket.io.js`);
    expect(res.status).to.equal(200);
    expect(res.headers["content-type"]).to.match(/javascript/);
    expect(res.body.length).to.be.greaterThan(10_000);
    expect(res.body).to.contain("io");
    const plain = await request(`${plainUrl}/socket.io/socket.io.js`);
    expect(res.headers.etag).to.be.a("string").and.equal(plain.headers.etag);
    expect(res.body).to.equal(plain.body);
    const cached = await request(`${url}/socket.io/socket.io.js`, { headers: { "if-none-match": res.headers.etag! } });
    expect(cached.status).to.equal(304);
    expect(cached.body).to.equal("");
    const stale = await request(`${url}/socket.io/socket.io.js`, { headers: { "if-none-match": '"0.0.0"' } });
    expect(stale.status).to.equal(200);
    const min = await request(`${url}/socket.io/socket.io.min.js`);
    expect(min.status).to.equal(200);
    const map = await request(`${url}/socket.io/socket.io.js.map`);
    expect(map.status).to.equal(200);
    expect(() => JSON.parse(map.body)).to.not.throw();
    const nothing = await request(`${url}/socket.io/not-a-file.js`);
    expect(nothing.status).to.not.equal(200);
  });

  it("serveClient under a custom path, and serveClient: false", async () => {
    const custom = await single({ path: "/rt" });
    expect((await request(`${custom.url}/rt/socket.io.js`)).status).to.equal(200);
    const off = await single({ serveClient: false });
    const { server: plainHttp, url: plainUrl } = await httpServer();
    track(new PlainServer(plainHttp, { serveClient: false }));
    const [ours, theirs] = await Promise.all([
      request(`${off.url}/socket.io/socket.io.js`),
      request(`${plainUrl}/socket.io/socket.io.js`),
    ]);
    expect(ours.status).to.not.equal(200);
    expect(ours.status).to.equal(theirs.status);
    // the node still serves connections
    const client = await connect(off.url);
    expect(await client.emitWithAck("echo", 7)).to.equal(7);
  });

  it("counts the connections it holds", async () => {
    const { url, node } = await single();
    expect(node.connectionsCount).to.equal(0);
    const a = await connect(url);
    await connect(url);
    expect(node.connectionsCount).to.equal(2);
    expect(node.address()).to.match(/:\d+$/);
    a.disconnect();
    a.io.engine.close();
    await waitFor(() => node.connectionsCount === 1, 5_000, "the count to go down");
  });
});
