import { expect } from "chai";
import { existsSync } from "fs";
import { join } from "path";
import type { Server as HttpServer } from "http";
import { Server, createIoNode } from "../src";
import type { ServerOptions } from "../src";
import {
  ClientSocket,
  connect,
  FAST,
  httpServer,
  once,
  portOf,
  redisUrl,
  track,
  uniquePrefix,
  waitFor,
  aliveApps,
} from "./helpers";

/** What every form must do: accept a connection, greet it, and answer an ack. */
function app(io: { on(event: "connection", fn: (socket: any) => void): unknown }): void {
  io.on("connection", (socket) => {
    socket.emit("welcome", socket.id);
    socket.on("echo", (value: unknown, cb: (v: unknown) => void) => cb({ echoed: value, nsp: socket.nsp.name }));
  });
}

async function roundTrip(url: string, opts = {}): Promise<ClientSocket> {
  let welcome!: Promise<unknown[]>;
  const client = await connect(url, opts, (c) => (welcome = once(c, "welcome")));
  expect(await welcome).to.deep.equal([client.id]);
  const answer = await client.timeout(5_000).emitWithAck("echo", { n: 1, s: "é" });
  expect(answer).to.deep.equal({ echoed: { n: 1, s: "é" }, nsp: "/" });
  return client;
}

function portOfServer(io: Server): Promise<number> {
  const srv = (io as unknown as { httpServer?: HttpServer }).httpServer;
  if (!srv) throw new Error("the server has no http server");
  return portOf(srv);
}

function dist(): any {
  const path = join(__dirname, "..", "dist", "index.js");
  if (!existsSync(path)) throw new Error("dist/index.js is missing: `npm test` builds it (npx tsup)");
  return require(path);
}

for (const mode of ["embedded", "redis"] as const) {
  describe(`constructor forms (${mode})`, () => {
    let prefix: string;
    const cluster = (): ServerOptions["cluster"] =>
      mode === "redis" ? { redis: redisUrl(), prefix, ...FAST } : {};

    beforeEach(() => {
      prefix = uniquePrefix("ctor");
    });

    /** `new Server()`, with Redis from the environment in redis mode. */
    function bare(): Server {
      if (mode === "embedded") return new Server();
      const saved = { url: process.env.SOCKET_IO_CLUSTER_REDIS_URL, prefix: process.env.SOCKET_IO_CLUSTER_PREFIX };
      process.env.SOCKET_IO_CLUSTER_REDIS_URL = redisUrl();
      process.env.SOCKET_IO_CLUSTER_PREFIX = prefix;
      try {
        return new Server();
      } finally {
        for (const [name, value] of [["SOCKET_IO_CLUSTER_REDIS_URL", saved.url], ["SOCKET_IO_CLUSTER_PREFIX", saved.prefix]] as const) {
          if (value === undefined) delete process.env[name];
          else process.env[name] = value;
        }
      }
    }

    it("new Server() then io.listen(port)", async () => {
      const io = track(bare());
      app(io);
      io.listen(0);
      const port = await portOfServer(io);
      await io.ready();
      await roundTrip(`http://127.0.0.1:${port}`);
      // in redis mode the cluster comes from SOCKET_IO_CLUSTER_REDIS_URL / SOCKET_IO_CLUSTER_PREFIX
      expect(io.cluster.clustered).to.equal(mode === "redis");
      if (mode === "redis") expect(io.cluster.prefix).to.equal(prefix);
    });

    it("new Server() then io.attach(httpServer)", async () => {
      const { server, url } = await httpServer();
      const io = track(bare());
      app(io);
      io.attach(server);
      await io.ready();
      await roundTrip(url);
      expect(io.cluster.ioNodeId).to.be.a("string");
    });

    it("new Server(port, opts)", async () => {
      const io = track(new Server(0, { cluster: cluster(), path: "/ctor-port" }));
      app(io);
      const port = await portOfServer(io);
      await io.ready();
      await roundTrip(`http://127.0.0.1:${port}`, { path: "/ctor-port" });
    });

    it("new Server(httpServer, opts)", async () => {
      const { server, url } = await httpServer();
      const io = track(new Server(server, { cluster: cluster(), pingInterval: 5_000 }));
      app(io);
      await io.ready();
      const client = await roundTrip(url);
      // an Engine.IO option reaches the io-node that holds the connection
      expect((client.io.engine as unknown as { _pingInterval: number })._pingInterval).to.equal(5_000);
    });

    it("new Server(opts) (no HTTP server)", async () => {
      if (mode === "embedded") {
        // alone, a server without HTTP server is reachable once attached
        const io = track(new Server({ path: "/late", cluster: cluster() }));
        app(io);
        const { server, url } = await httpServer();
        io.attach(server);
        await io.ready();
        await roundTrip(url, { path: "/late" });
        return;
      }
      // an app-node only: clients come through a standalone io-node of the same cluster
      const io = track(new Server({ cluster: cluster() }));
      app(io);
      expect(io.cluster.ioNodeId).to.equal(undefined);
      const node = track(createIoNode({ port: 0, ...cluster() }));
      await Promise.all([io.ready(), node.ready()]);
      await waitFor(() => aliveApps(node).includes(io.cluster.appNodeId), 5_000, "io-node to see the app-node");
      await roundTrip(`http://127.0.0.1:${await portOf(node.httpServer)}`);
    });

    it('the default export is a factory: require("socket.io-cluster")(httpServer, opts)', async () => {
      const factory = dist();
      expect(factory).to.be.a("function");
      expect(factory.Server).to.be.a("function");
      expect(factory.createIoNode).to.be.a("function");
      const { server, url } = await httpServer();
      const io = track(factory(server, { cluster: cluster() }));
      expect(io).to.be.instanceOf(factory.Server);
      app(io);
      await io.ready();
      await roundTrip(url);
    });

    it('the default export is a factory with a port: require("socket.io-cluster")(port)', async () => {
      const factory = dist();
      const io = track(factory(0, { cluster: cluster() }));
      app(io);
      const port = await portOfServer(io);
      await io.ready();
      await roundTrip(`http://127.0.0.1:${port}`);
    });
  });
}

describe("constructor forms: API surface", () => {
  it("the dist build and the source offer the same Server methods", () => {
    const factory = dist();
    for (const method of ["listen", "attach", "close", "ready", "of", "use", "to", "in", "except", "fetchSockets", "serverSideEmit", "serverSideEmitWithAck", "socketsJoin", "socketsLeave", "disconnectSockets", "timeout"]) {
      expect(typeof factory.Server.prototype[method], method).to.equal("function");
      expect(typeof (Server.prototype as any)[method], method).to.equal("function");
    }
  });
});
