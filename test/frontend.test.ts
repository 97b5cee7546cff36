/**
 * The frontend-node: the io-node lists (/config.js in the 2011 format, /config.json), the status
 * endpoints, its place in an HTTP server or an Express-style stack, the CLI command, and the
 * client helper that connects to the least loaded io-node and fails over to another.
 */
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { createServer } from "http";
import { tmpdir } from "os";
import { join } from "path";
import type { Socket as ServerSocket } from "socket.io";
import { createFrontend, FrontendNode, FrontendOptions } from "../src/frontend-node/frontend-node";
import type { ConfigJson } from "../src/frontend-node/config-endpoints";
import type { StatusReport } from "../src/frontend-node/status-report";
import * as SocketIoCluster from "../src/frontend-node/client/socket.io-cluster";
import type { ClusterSocket } from "../src/frontend-node/client/socket.io-cluster";
import {
  closeHttp,
  ClusterFixture,
  FAST,
  listen,
  once,
  onCleanup,
  portOf,
  request,
  runCleanups,
  startCluster,
  waitFor,
} from "./helpers";
import { spawnNode } from "./helpers/processes";
import { runCli } from "./helpers/cli";


/** A frontend of the fixture's cluster on a port of its own, closed after the test. */
async function startFrontend(fx: ClusterFixture, opts: Partial<FrontendOptions> = {}): Promise<{ frontend: FrontendNode; url: string }> {
  const frontend = createFrontend({ port: 0, redis: fx.redis, prefix: fx.prefix, ...FAST, ...opts });
  onCleanup(() => frontend.close(), "frontend");
  await frontend.ready();
  return { frontend, url: `http://127.0.0.1:${await portOf(frontend.httpServer!)}` };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await request(url);
  expect(res.status, `GET ${url}`).to.equal(200);
  return JSON.parse(res.body) as T;
}

/** The array assigned by /config.js, checking the exact statement of the original. */
async function socketServers(url: string): Promise<Array<{ host: string; port: number }>> {
  const res = await request(`${url}/config.js`);
  expect(res.status).to.equal(200);
  const match = /^var SOCKET_SERVERS = (\[.*\]);\n$/.exec(res.body);
  expect(match, res.body).to.not.equal(null);
  return JSON.parse(match![1]);
}

/** A client helper socket, disconnected after the test. */
function clusterClient(opts: SocketIoCluster.ClusterConnectOptions): ClusterSocket {
  const socket = SocketIoCluster.connect({ forceNew: true, ...opts });
  onCleanup(() => {
    socket.disconnect();
    socket.io.engine?.close();
  }, "cluster client");
  return socket;
}

describe("frontend-node", function () {
  // the root hooks of .mocharc.json do this too; here so the file also runs on its own
  afterEach(async () => {
    const errors = await runCleanups();
    if (errors.length > 0) throw errors[0];
  });

  describe("io-node lists", () => {
    it("/config.js lists the live io-nodes in the original's format, least loaded first; a closed one disappears", async () => {
      const fx = await startCluster({ ioNodes: 2, appNodes: 1 });
      const { frontend, url } = await startFrontend(fx);
      const [portA, portB] = await Promise.all(fx.ioNodes.map((n) => portOf(n.httpServer)));
      // io-node A is the busier one
      await fx.connect(0);
      await fx.connect(0);
      // (waiting through the HTTP list would count each answer as a client sent to io-node B)
      await waitFor(
        () => frontend.ioServers().find((s) => s.port === portA)?.connections === 2,
        5_000,
        "the frontend to see 2 connections on io-node A",
      );

      const res = await request(`${url}/config.js`);
      expect(res.headers["content-type"]).to.match(/javascript/);
      expect(res.headers["cache-control"]).to.equal("no-store");
      expect(await socketServers(url)).to.deep.equal([
        { host: "localhost", port: portB },
        { host: "localhost", port: portA },
      ]);

      await fx.ioNodes[1].close();
      await waitFor(async () => (await socketServers(url)).length === 1, 5_000, "the closed io-node to leave the list");
      expect(await socketServers(url)).to.deep.equal([{ host: "localhost", port: portA }]);
    });

    it("a killed io-node disappears from the list once its heartbeats stop", async function () {
      this.timeout(20_000);
      const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
      const { url } = await startFrontend(fx);
      const child = await spawnNode("io-node", { REDIS_URL: fx.redis, PREFIX: fx.prefix });
      onCleanup(() => child.kill(), "io-node process");
      const childPort = Number(child.address!.split(":").pop());
      await waitFor(async () => (await socketServers(url)).some((s) => s.port === childPort), 5_000, "the io-node process to be listed");
      await child.kill("SIGKILL");
      await waitFor(async () => !(await socketServers(url)).some((s) => s.port === childPort), 5_000, "the killed io-node to leave the list");
      expect(await socketServers(url)).to.deep.equal([{ host: "localhost", port: await portOf(fx.ioNodes[0].httpServer) }]);
    });

    it("/config.json gives each io-node's id, host, port, connections and message rate", async () => {
      const fx = await startCluster({
        ioNodes: 2,
        appNodes: 1,
        setup: (io) => io.on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x))),
      });
      const { frontend, url } = await startFrontend(fx);
      const [portA, portB] = await Promise.all(fx.ioNodes.map((n) => portOf(n.httpServer)));
      const client = await fx.connect(0);
      // traffic through io-node A only; B stays idle
      const traffic = setInterval(() => client.emit("echo", "x", () => undefined), 5);
      onCleanup(() => clearInterval(traffic), "traffic");
      await waitFor(
        () => frontend.ioServers().some((s) => s.port === portA && s.messagesPerSecond > 0 && s.connections === 1),
        5_000,
        "a message rate on io-node A",
      );
      const { servers } = await getJson<ConfigJson>(`${url}/config.json`);

      const a = servers.find((s) => s.port === portA)!;
      const b = servers.find((s) => s.port === portB)!;
      expect(a).to.have.all.keys("id", "host", "port", "connections", "messagesPerSecond");
      expect(a.id).to.equal(fx.ioNodes[0].id);
      expect(b.id).to.equal(fx.ioNodes[1].id);
      expect(a).to.include({ host: "localhost", connections: 1 });
      expect(b).to.include({ host: "localhost", connections: 0, messagesPerSecond: 0 });
      // least loaded first
      expect(servers.map((s) => s.port)).to.deep.equal([portB, portA]);
      const res = await request(`${url}/config.json`);
      expect(res.headers["content-type"]).to.match(/^application\/json/);
      expect(res.headers["cache-control"]).to.equal("no-store");
    });

    it("spreads a burst of clients over equally loaded io-nodes before their next heartbeat", async () => {
      const fx = await startCluster({ ioNodes: 2, appNodes: 0 });
      // heartbeats too rare to move the counts during the burst
      const { url } = await startFrontend(fx, { heartbeatInterval: 60_000, nodeTimeout: 120_000 });
      const firsts = [];
      for (let i = 0; i < 6; i++) firsts.push((await socketServers(url))[0].port);
      const ports = await Promise.all(fx.ioNodes.map((n) => portOf(n.httpServer)));
      expect(firsts.filter((p) => p === ports[0])).to.have.length(3);
      expect(firsts.filter((p) => p === ports[1])).to.have.length(3);
    });
  });

  describe("status", () => {
    it("/status.json shows io-nodes, app-nodes and frontends with their connections, and the nodes that left or were lost", async function () {
      this.timeout(20_000);
      const fx = await startCluster({ ioNodes: 2, appNodes: 1 });
      const { frontend, url } = await startFrontend(fx);
      await fx.connect(0);
      await fx.connect(0);
      await fx.connect(1);
      const [ioA, ioB] = fx.ioNodes;
      const appId = fx.apps[0].cluster.appNodeId;
      const report = await waitFor(async () => {
        const r = await getJson<StatusReport>(`${url}/status.json`);
        const conns = (id: string) => [...r.nodes.io, ...r.nodes.app].find((n) => n.id === id)?.connections;
        return conns(ioA.id) === 2 && conns(ioB.id) === 1 && conns(appId) === 3 ? r : undefined;
      }, 5_000, "the status to show every connection");
      expect(report.totals.io).to.include({ nodes: 2, connections: 3 });
      expect(report.totals.app).to.include({ nodes: 1, connections: 3 });
      expect(report.nodes.frontend.map((n) => n.id)).to.deep.equal([frontend.id]);
      expect(report.frontend).to.include({ id: frontend.id, prefix: fx.prefix, transport: "redis" });
      const io = report.nodes.io.find((n) => n.id === ioA.id)!;
      expect(io).to.include({ role: "io", pid: process.pid, address: `localhost:${await portOf(ioA.httpServer)}` });
      expect(io.uptime).to.be.a("number");
      expect(report.failures).to.deep.equal([]);

      // one io-node leaves cleanly, one io-node process is killed
      const portB = await portOf(ioB.httpServer);
      await ioB.close();
      const child = await spawnNode("io-node", { REDIS_URL: fx.redis, PREFIX: fx.prefix });
      onCleanup(() => child.kill(), "io-node process");
      await waitFor(() => frontend.status().nodes.io.some((n) => n.id === child.id), 5_000, "the io-node process to be seen");
      await child.kill("SIGKILL");
      const after = await waitFor(async () => {
        const r = await getJson<StatusReport>(`${url}/status.json`);
        return r.failures.length === 2 ? r : undefined;
      }, 5_000, "two failures");
      // newest first
      expect(after.failures.map((f) => [f.id, f.role, f.kind])).to.deep.equal([
        [child.id, "io", "lost"],
        [ioB.id, "io", "left"],
      ]);
      expect(after.failures[1]).to.include({ connections: 1, pid: process.pid, address: `localhost:${portB}` });
      expect(after.nodes.io.map((n) => n.id)).to.deep.equal([ioA.id]);
    });

    it("/status is a self-contained page that loads status.json", async () => {
      const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
      const { url } = await startFrontend(fx);
      const res = await request(`${url}/status`);
      expect(res.status).to.equal(200);
      expect(res.headers["content-type"]).to.match(/^text\/html/);
      expect(res.body).to.include('fetch("status.json"');
      // no external assets, and the policy says so
      expect(res.body).to.not.match(/<(script|link)[^>]+(src|href)="(?!data:)/);
      expect(res.headers["content-security-policy"]).to.match(/default-src 'none'/);
      expect(res.headers["content-security-policy"]).to.match(/script-src 'sha256-/);
    });

    it("status: false leaves /status and /status.json to the rest of the server", async () => {
      const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
      const { url } = await startFrontend(fx, { status: false });
      expect((await request(`${url}/status.json`)).status).to.equal(404);
      expect((await request(`${url}/status`)).status).to.equal(404);
      expect((await request(`${url}/config.json`)).status).to.equal(200);
    });
  });

  describe("in an HTTP server", () => {
    it("handler() answers its paths and calls next() for the others, as an Express middleware", async () => {
      const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
      const frontend = createFrontend({ redis: fx.redis, prefix: fx.prefix, ...FAST });
      onCleanup(() => frontend.close(), "frontend");
      await frontend.ready();
      const server = createServer((req, res) =>
        frontend.handler(req, res, () => {
          res.writeHead(200, { "Content-Type": "text/plain" });
          res.end(`app ${req.method} ${req.url}`);
        }),
      );
      onCleanup(() => closeHttp(server), "http server");
      const url = `http://127.0.0.1:${await listen(server)}`;
      const ioPort = await portOf(fx.ioNodes[0].httpServer);

      expect(await socketServers(url)).to.deep.equal([{ host: "localhost", port: ioPort }]);
      expect((await request(`${url}/config.json?x=1`)).status).to.equal(200);
      expect((await request(`${url}/chat.html`)).body).to.equal("app GET /chat.html");
      expect((await request(`${url}/config.js/more`)).body).to.equal("app GET /config.js/more");
      // other methods on other paths are the app's; on the frontend's paths they are refused
      expect((await request(`${url}/api`, { method: "POST", body: "x" })).body).to.equal("app POST /api");
      const post = await request(`${url}/config.js`, { method: "POST", body: "x" });
      expect(post.status).to.equal(405);
      expect(post.headers.allow).to.equal("GET, HEAD");
      const head = await request(`${url}/config.js`, { method: "HEAD" });
      expect(head.status).to.equal(200);
      expect(head.body).to.equal("");
    });

    it("handler() without next answers 404 for paths it does not own; basePath and clientConfigUrl move its routes", async () => {
      const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
      const frontend = createFrontend({ redis: fx.redis, prefix: fx.prefix, ...FAST, basePath: "/cluster", clientConfigUrl: "/js/servers.js" });
      onCleanup(() => frontend.close(), "frontend");
      await frontend.ready();
      const server = createServer(frontend.handler);
      onCleanup(() => closeHttp(server), "http server");
      const url = `http://127.0.0.1:${await listen(server)}`;
      expect((await request(`${url}/js/servers.js`)).body).to.match(/^var SOCKET_SERVERS = \[\{"host":"localhost","port":\d+\}\];/);
      expect((await request(`${url}/cluster/config.json`)).status).to.equal(200);
      expect((await request(`${url}/cluster/status.json`)).status).to.equal(200);
      expect((await request(`${url}/config.js`)).status).to.equal(404);
      expect((await request(`${url}/config.json`)).status).to.equal(404);
      expect((await request(`${url}/anything`)).status).to.equal(404);
    });

    it("attach() puts the frontend in front of the server's own request listener", async () => {
      const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
      const server = createServer((req, res) => res.end(`page ${req.url}`));
      onCleanup(() => closeHttp(server), "http server");
      const frontend = createFrontend({ redis: fx.redis, prefix: fx.prefix, ...FAST }).attach(server);
      onCleanup(() => frontend.close(), "frontend");
      await frontend.ready();
      const url = `http://127.0.0.1:${await listen(server)}`;
      expect((await request(`${url}/index.html`)).body).to.equal("page /index.html");
      expect((await socketServers(url)).map((s) => s.port)).to.deep.equal([await portOf(fx.ioNodes[0].httpServer)]);
      // after close, its paths are the server's again
      await frontend.close();
      expect((await request(`${url}/config.js`)).body).to.equal("page /config.js");
    });

    it("serves the client helper, the Socket.IO browser client and, with staticDir, the page files", async () => {
      const dir = mkdtempSync(join(tmpdir(), "frontend-static-"));
      onCleanup(() => rmSync(dir, { recursive: true, force: true }), "static dir");
      writeFileSync(join(dir, "index.html"), "<h1>chat</h1>");
      const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
      const { url } = await startFrontend(fx, { staticDir: dir });

      const helper = await request(`${url}/socket.io-cluster.js`);
      expect(helper.status).to.equal(200);
      expect(helper.headers["content-type"]).to.match(/javascript/);
      expect(helper.body).to.include("root.SocketIoCluster = factory(");
      const again = await request(`${url}/socket.io-cluster.js`, { headers: { "if-none-match": String(helper.headers.etag) } });
      expect(again.status).to.equal(304);
      const sio = await request(`${url}/socket.io/socket.io.min.js`);
      expect(sio.status).to.equal(200);
      expect(sio.body).to.match(/Socket\.IO v4\./);

      expect((await request(`${url}/`)).body).to.equal("<h1>chat</h1>");
      expect((await request(`${url}/index.html`)).body).to.equal("<h1>chat</h1>");
      expect((await request(`${url}/missing.html`)).status).to.equal(404);
      expect((await request(`${url}/config.js`)).body).to.match(/^var SOCKET_SERVERS = /);
    });

    it("refuses to start without Redis, since it would see no node", () => {
      const saved = process.env.SOCKET_IO_CLUSTER_REDIS_URL;
      delete process.env.SOCKET_IO_CLUSTER_REDIS_URL;
      try {
        expect(() => createFrontend({})).to.throw(/needs the cluster's Redis/);
      } finally {
        if (saved !== undefined) process.env.SOCKET_IO_CLUSTER_REDIS_URL = saved;
      }
    });
  });

  describe("client helper (Node.js)", () => {
    it("connects to the least loaded io-node, fails over to the other one when it closes, and keeps its handlers", async () => {
      const serverSockets: ServerSocket[] = [];
      const fx = await startCluster({
        ioNodes: 2,
        appNodes: 1,
        setup: (io) =>
          io.on("connection", (s) => {
            serverSockets.push(s);
            s.emit("welcome", serverSockets.length);
            s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x));
          }),
      });
      const { frontend, url } = await startFrontend(fx);
      const [portA, portB] = await Promise.all(fx.ioNodes.map((n) => portOf(n.httpServer)));
      // io-node B is the busier one
      await fx.connect(1);
      await fx.connect(1);
      await waitFor(
        () => serverSockets.length === 2 && fx.ioNodes[1].connectionsCount === 2,
        5_000,
        "two connections on io-node B",
      );
      await waitFor(
        () => frontend.ioServers().find((s) => s.port === portB)?.connections === 2,
        5_000,
        "the frontend to see io-node B as the busier one",
      );

      const welcomes: number[] = [];
      const socket = clusterClient({ frontend: url, reconnectionDelay: 50, reconnectionDelayMax: 200 });
      socket.on("welcome", (n: number) => welcomes.push(n));
      await once(socket, "connect");
      expect(socket.cluster.server).to.include({ host: "localhost", port: portA });
      expect(fx.ioNodes[0].connectionsCount).to.equal(1);
      expect(await socket.emitWithAck("echo", "before")).to.equal("before");

      // its io-node goes away: the same socket comes back through io-node B
      const disconnected = once(socket, "disconnect");
      const reconnected = new Promise<number>((resolve) => socket.io.once("reconnect", resolve));
      const connectedAgain = once(socket, "connect", 10_000);
      await fx.ioNodes[0].close();
      expect((await disconnected)[0]).to.equal("transport close");
      await reconnected;
      await connectedAgain;
      expect(socket.connected).to.equal(true);
      expect(socket.cluster.server).to.include({ host: "localhost", port: portB });
      expect(fx.ioNodes[1].connectionsCount).to.equal(3);
      // a round trip with the app-node, and the handler added once saw both welcomes
      expect(await socket.emitWithAck("echo", "after")).to.equal("after");
      await waitFor(() => welcomes.length === 2, 5_000, "the second welcome");
      expect(welcomes).to.deep.equal([3, 4]);
    });

    it("with a fixed server list, skips a dead io-node after a connect_error", async () => {
      const fx = await startCluster({
        ioNodes: 1,
        appNodes: 1,
        setup: (io) => io.on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x))),
      });
      const livePort = await portOf(fx.ioNodes[0].httpServer);
      // a port that was just free: nothing listens there
      const probe = createServer();
      const deadPort = await listen(probe);
      await closeHttp(probe);

      const errors: Error[] = [];
      const tried: number[] = [];
      const socket = clusterClient({
        servers: [`127.0.0.1:${deadPort}`, { host: "127.0.0.1", port: livePort }],
        reconnectionDelay: 50,
        reconnectionDelayMax: 200,
        onServer: (s) => tried.push(s.port),
      });
      socket.on("connect_error", (err: Error) => errors.push(err));
      await once(socket, "connect");
      expect(tried).to.deep.equal([deadPort, livePort]);
      expect(errors).to.have.length(1);
      expect(socket.cluster.server).to.include({ host: "127.0.0.1", port: livePort });
      expect(await socket.emitWithAck("echo", 42)).to.equal(42);
    });

    it("reports connect_error while the frontend lists no io-node, and connects once one is up", async () => {
      const fx = await startCluster({
        ioNodes: 0,
        appNodes: 1,
        setup: (io) => io.on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x))),
      });
      const { url } = await startFrontend(fx);
      const socket = clusterClient({ frontend: url, reconnectionDelay: 50, reconnectionDelayMax: 100 });
      const [err] = await once<[Error]>(socket, "connect_error");
      expect(err.message).to.match(/no live io-node/);
      const { createIoNode } = await import("../src");
      const ioNode = createIoNode({ port: 0, redis: fx.redis, prefix: fx.prefix, ...FAST });
      onCleanup(() => ioNode.close(), "io-node");
      await once(socket, "connect", 10_000);
      expect(socket.cluster.server!.port).to.equal(await portOf(ioNode.httpServer));
      expect(await socket.emitWithAck("echo", "late")).to.equal("late");
    });
  });

  describe("CLI", () => {
    it("frontend --help and usage errors", async function () {
      this.timeout(20_000);
      const help = runCli(["frontend", "--help"]);
      expect(await help.exited).to.equal(0);
      expect(help.out()).to.match(/^Usage: socket\.io-cluster frontend --port PORT/);
      expect(help.out()).to.include("--config-url PATH");

      const noRedis = runCli(["frontend", "--port", "0"]);
      expect(await noRedis.exited).to.equal(2);
      expect(noRedis.err()).to.match(/needs Redis/);

      const badPort = runCli(["frontend", "--port", "http", "--redis", "redis://x"]);
      expect(await badPort.exited).to.equal(2);
      expect(badPort.err()).to.match(/--port must be a whole number/);
    });

    it("frontend --port 0 --redis URL serves the cluster's io-nodes and stops on SIGTERM", async function () {
      this.timeout(20_000);
      const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
      const cli = runCli(["frontend", "--port", "0", "--host", "127.0.0.1", "--redis", fx.redis, "--prefix", fx.prefix, "--config-url", "/servers.js"]);
      const base = await waitFor(() => /listening on (http:\S+)/.exec(cli.out())?.[1], 15_000, "the frontend to listen");
      const ioPort = await portOf(fx.ioNodes[0].httpServer);
      const list = await request(`${base}/servers.js`);
      expect(list.body).to.equal(`var SOCKET_SERVERS = [{"host":"localhost","port":${ioPort}}];\n`);
      cli.child.kill("SIGTERM");
      expect(await cli.exited).to.equal(0);
    });
  });
});
