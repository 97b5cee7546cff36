/**
 * io.close() / ioNode.close() release everything: in a child process that closed all it opened,
 * nothing may keep the event loop alive. In-process, closing deregisters the node and stops its
 * HTTP server.
 */
import { expect } from "chai";
import { spawn } from "child_process";
import { join } from "path";
import Redis from "ioredis";
import { Server as PlainServer } from "socket.io";
import { Server, createIoNode } from "../src";
import { findFreePort } from "../src/cli/ports";
import {
  aliveApps,
  connect,
  FAST,
  httpServer,
  once,
  onCleanup,
  redisUrl,
  request,
  startCluster,
  track,
  uniquePrefix,
  waitFor,
} from "./helpers";
import { RedisKeys } from "../src/transport/keys";

const FIXTURE = join(__dirname, "fixtures", "close-all.ts");
/** A child that has not exited on its own by then is killed, and the test fails. */
const EXIT_DEADLINE_MS = 10_000;

function runFixture(scenario: string): Promise<{ code: number | null; signal: string | null; killed: boolean; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, scenario], {
      cwd: join(__dirname, ".."),
      env: { ...process.env, SOCKET_IO_CLUSTER_TEST_REDIS_URL: redisUrl(), SOCKET_IO_CLUSTER_QUIET: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let killed = false;
    // never outlive the test run (Ctrl-C included)
    const reap = () => child.kill("SIGKILL");
    process.once("exit", reap);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, EXIT_DEADLINE_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      process.off("exit", reap);
      resolve({ code, signal, killed, stdout, stderr });
    });
  });
}

describe("close() releases everything", function () {
  this.timeout(EXIT_DEADLINE_MS + 10_000);

  for (const scenario of [
    "embedded",
    "embedded-port",
    "idle-polling-plain-socket.io",
    "idle-polling",
    "idle-polling-cluster",
    "cluster",
    "colocated",
    "servers-first",
    "close-before-ready",
  ]) {
    it(`a process exits by itself after closing everything (${scenario})`, async () => {
      const r = await runFixture(scenario);
      const details = `stdout: ${r.stdout}\nstderr: ${r.stderr}`;
      expect(r.killed, `the process was still alive after ${EXIT_DEADLINE_MS} ms\n${details}`).to.equal(false);
      expect(r.stdout, details).to.contain("closed");
      expect(r.code, details).to.equal(0);
      expect(r.stderr, details).to.not.contain("still alive");
    });
  }
});

describe("close(): in-process effects", () => {
  it("an app-node and an io-node leave the registry when closed", async () => {
    const fx = await startCluster({ ioNodes: 1, appNodes: 2 });
    const redis = new Redis(redisUrl());
    onCleanup(() => redis.quit(), "redis client");
    const key = new RedisKeys(fx.prefix).nodes;
    const [first, second] = fx.apps;
    expect(await redis.hexists(key, first.cluster.appNodeId)).to.equal(1);
    await first.close();
    expect(await redis.hexists(key, first.cluster.appNodeId)).to.equal(0);
    // the io-node hears of it and hands new connections to the app-node that is left
    await waitFor(() => !aliveApps(fx.ioNodes[0]).includes(first.cluster.appNodeId), 5_000, "the io-node to drop it");
    for (let i = 0; i < 3; i++) {
      const client = await fx.connect(0);
      expect(second.of("/").sockets.has(client.id!)).to.equal(true);
    }
    expect(await redis.hexists(key, fx.ioNodes[0].id)).to.equal(1);
    await fx.ioNodes[0].close();
    expect(await redis.hexists(key, fx.ioNodes[0].id)).to.equal(0);
    expect(fx.ioNodes[0].httpServer.listening).to.equal(false);
  });

  it("sockets of a closing app-node see the disconnect reason plain socket.io gives", async () => {
    const reasons: string[] = [];
    const fx = await startCluster({
      ioNodes: 1,
      appNodes: 1,
      setup: (io) => io.on("connection", (s) => s.on("disconnect", (r) => reasons.push(r))),
    });
    // websocket: a polling client between two polls is the "idle-polling" tests' business
    await fx.connect(0, { transports: ["websocket"] });
    await fx.connect(0, { transports: ["websocket"] });
    await fx.apps[0].close();
    expect(reasons).to.deep.equal(["server shutting down", "server shutting down"]);
  });

  it("close(callback) is called, and closing twice is harmless", async () => {
    const { server } = await httpServer();
    const io = new Server(server, { cluster: { redis: redisUrl(), prefix: uniquePrefix("close"), ...FAST } });
    await io.ready();
    const called = await new Promise<unknown[]>((resolve) => void io.close((...args) => resolve(args)));
    expect(called.length === 0 || called[0] === undefined).to.equal(true);
    await io.close();
    const node = createIoNode({ port: 0, redis: redisUrl(), prefix: uniquePrefix("close") });
    await node.ready();
    await node.close();
    await node.close();
    expect(node.httpServer.listening).to.equal(false);
  });

  it("a co-located server closes its HTTP server and clients, as plain socket.io does", async () => {
    const observe = async (make: (srv: import("http").Server) => { close(): unknown }) => {
      const { server, url } = await httpServer();
      const io = track(make(server));
      (io as unknown as PlainServer).on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x)));
      const client = await connect(url, { transports: ["websocket"] });
      await client.emitWithAck("echo", 1);
      const gone = once<[string]>(client, "disconnect");
      await io.close();
      const [reason] = await gone;
      const refused = await request(`${url}/socket.io/?EIO=4&transport=polling`).then(
        () => false,
        () => true,
      );
      return { listening: server.listening, reason, refused };
    };
    const plain = await observe((srv) => new PlainServer(srv));
    const ours = await observe((srv) => new Server(srv, { cluster: { redis: redisUrl(), prefix: uniquePrefix("close"), ...FAST } }));
    const embedded = await observe((srv) => new Server(srv));
    expect(plain.listening).to.equal(false);
    expect(plain.refused).to.equal(true);
    expect(ours).to.deep.equal(plain);
    expect(embedded).to.deep.equal(plain);
  });

  it("io.close() then io.listen(port) on the same server: clients connect and emit again, as with plain socket.io", async () => {
    const observe = async (make: () => PlainServer) => {
      const port = await findFreePort();
      const io = make();
      track(io as unknown as { close(): unknown });
      io.on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x)));
      const url = `http://127.0.0.1:${port}`;
      const seen: unknown[] = [];
      for (const round of [1, 2]) {
        io.listen(port);
        await (io as unknown as { ready?(): Promise<void> }).ready?.();
        const client = await connect(url, { transports: ["websocket"] });
        seen.push(await client.emitWithAck("echo", round));
        client.disconnect();
        await io.close();
      }
      return seen;
    };
    const plain = await observe(() => new PlainServer());
    const ours = await observe(() => new Server({ cluster: { redis: redisUrl(), prefix: uniquePrefix("relisten"), ...FAST } }) as unknown as PlainServer);
    const embedded = await observe(() => new Server() as unknown as PlainServer);
    expect(plain).to.deep.equal([1, 2]);
    expect(ours).to.deep.equal(plain);
    expect(embedded).to.deep.equal(plain);
  });

  it("a standalone io-node stops accepting connections when closed", async () => {
    const fx = await startCluster({ ioNodes: 1, appNodes: 1 });
    const url = fx.urls[0];
    const client = await fx.connect(0);
    const gone = once(client, "disconnect");
    await fx.ioNodes[0].close();
    await gone;
    const refused = await request(`${url}/socket.io/?EIO=4&transport=polling`).then(
      () => false,
      () => true,
    );
    expect(refused).to.equal(true);
  });
});
