import { expect } from "chai";
import { randomBytes } from "crypto";
import { io as ioc, Socket as ClientSocket } from "socket.io-client";
import { createIoNode, IoNode, Server } from "../src";
import { redisClient, waitFor } from "./helpers";
import { killAll, NodeProcess, spawnNode, whoami } from "./helpers/processes";
import { RedisKeys, sessionKey } from "../src/transport/keys";

const REDIS = process.env.SOCKET_IO_CLUSTER_TEST_REDIS_URL;
const TIMINGS = { heartbeatInterval: 100, nodeTimeout: 600 };

function prefix(): string {
  return `lc-${randomBytes(4).toString("hex")}`;
}

function env(p: string, extra: Record<string, string> = {}): Record<string, string> {
  if (!REDIS) throw new Error("SOCKET_IO_CLUSTER_TEST_REDIS_URL is not set: run the tests with `npm test`");
  return { REDIS_URL: REDIS, PREFIX: p, HEARTBEAT: "100", NODE_TIMEOUT: "600", ...extra };
}

function connect(address: string, opts: Record<string, unknown> = {}): Promise<ClientSocket> {
  const socket = ioc(`http://${address}`, { forceNew: true, reconnection: false, ...opts });
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

describe("node lifecycle", function () {
  this.timeout(30_000);
  const clients: ClientSocket[] = [];
  const closers: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    clients.splice(0).forEach((c) => c.disconnect());
    await Promise.all(closers.splice(0).map((close) => close()));
    await killAll();
  });

  /**
   * Two app-node processes, one in-process io-node, and a connected client; `doomed` is the
   * client's owner, `survivor` the other app-node. `nodeTimeout` applies to every node.
   */
  async function clusterWithDoomedOwner(p: string, extraEnv: Record<string, string> = {}, nodeTimeout = TIMINGS.nodeTimeout) {
    const appEnv = env(p, { NODE_TIMEOUT: String(nodeTimeout), ...extraEnv });
    const apps = await Promise.all([spawnNode("app-node", appEnv), spawnNode("app-node", appEnv)]);
    const ioNode = createIoNode({ port: 0, redis: REDIS!, prefix: p, heartbeatInterval: TIMINGS.heartbeatInterval, nodeTimeout });
    closers.push(() => ioNode.close());
    await ioNode.ready();
    await waitForApps(ioNode, 2);
    const client = await connect(ioNode.address()!);
    clients.push(client);
    const before = await whoami(client);
    const doomed = apps.find((a) => a.id === before.app)!;
    const survivor = apps.find((a) => a.id !== before.app)!;
    expect(doomed, "the client's owner is one of the app-nodes").to.exist;
    return { apps, ioNode, client, before, doomed, survivor };
  }

  it("re-homes a connection when its app-node is SIGKILLed: same TCP connection, nothing lost", async () => {
    const { client, before, doomed, survivor } = await clusterWithDoomedOwner(prefix());
    const engineId = client.io.engine.id;
    const reconnected = new Promise<void>((resolve) => client.once("connect", () => resolve()));
    await doomed.kill("SIGKILL");
    // sent while the owner is dead and not yet noticed: must reach the next owner
    const echoed = client.timeout(10_000).emitWithAck("echo", "sent into the void");
    await reconnected;
    expect(await echoed).to.equal("sent into the void");
    const after = await whoami(client);
    expect(after.app).to.equal(survivor.id);
    expect(client.io.engine.id, "the Engine.IO connection is the same").to.equal(engineId);
    // without connection state recovery the socket is a new one, announced by a new "connect"
    expect(after.id).to.not.equal(before.id);
    expect(client.id).to.equal(after.id);
    expect(client.connected).to.equal(true);
  });

  it("with connectionStateRecovery, keeps socket id, rooms, data and missed broadcasts across a SIGKILL", async () => {
    const p = prefix();
    const { client, before, doomed } = await clusterWithDoomedOwner(p, { RECOVERY: "1" });
    await client.timeout(5_000).emitWithAck("join", "lobby");
    await client.timeout(5_000).emitWithAck("set", "nickname", "ada");
    // a second client owned by the surviving app-node broadcasts into "lobby" while the owner of
    // the first is dead and not yet noticed: only recovery can bring that packet to the first client
    const ioAddress = client.io.opts.hostname + ":" + client.io.opts.port;
    let other: ClientSocket | undefined;
    for (let i = 0; i < 6 && !other; i++) {
      const candidate = await connect(ioAddress);
      clients.push(candidate);
      if ((await whoami(candidate)).app !== before.app) other = candidate;
    }
    expect(other, "a client owned by the surviving app-node").to.exist;
    // the owner snapshots the session every heartbeat interval: recovery needs a snapshot in Redis
    // taken after the "set" (one from before it has the room but no data; msgpack keeps the
    // string's bytes as they are)
    const { _pid: pid } = client as unknown as { _pid: string };
    const redis = redisClient();
    const key = new RedisKeys(p).scope(sessionKey(pid));
    await waitFor(async () => (await redis.getBuffer(key))?.includes("ada") === true, { timeout: 5_000, what: "a session snapshot with the data" });
    const received: unknown[] = [];
    client.on("room-message", (m) => received.push(m));
    let reconnects = 0;
    client.on("connect", () => reconnects++);
    await doomed.kill("SIGKILL");
    other!.emit("to-room", "lobby", "while you were away");
    await waitFor(() => received.length > 0, { timeout: 10_000, what: "the missed broadcast" });
    const after = await whoami(client);
    expect(after.app).to.not.equal(before.app);
    expect(after.id).to.equal(before.id);
    expect(after.recovered).to.equal(true);
    expect(after.rooms).to.include("lobby");
    expect(after.data).to.deep.equal({ nickname: "ada" });
    expect(received[0]).to.equal("while you were away");
    expect(reconnects, "a recovered session is invisible to the client").to.equal(0);
  });

  it("io.handOver() moves a socket to another app-node at once, session and all", async () => {
    // a node timeout far beyond the test's patience: only the hand-over itself can move the socket
    const { client, doomed, survivor } = await clusterWithDoomedOwner(prefix(), { RECOVERY: "1", HANDOVER: "1" }, 60_000);
    await client.timeout(5_000).emitWithAck("join", "lobby");
    await client.timeout(5_000).emitWithAck("set", "nickname", "grace");
    const before = await whoami(client);
    await doomed.kill("SIGTERM");
    const after = await whoami(client);
    expect(after.app).to.equal(survivor.id);
    expect(after.id).to.equal(before.id);
    expect(after.recovered).to.equal(true);
    expect(after.rooms).to.include("lobby");
    expect(after.data).to.deep.equal({ nickname: "grace" });
  });

  it("disconnects an io-node's sockets with a transport reason when the io-node is SIGKILLed", async () => {
    const p = prefix();
    const app = new Server({ cluster: { redis: REDIS!, prefix: p, ...TIMINGS } });
    closers.push(() => app.close());
    const reasons: string[] = [];
    app.on("connection", (s) => s.on("disconnect", (reason) => reasons.push(reason)));
    await app.ready();
    const ioNode: NodeProcess = await spawnNode("io-node", env(p));
    const client = await connect(ioNode.address!);
    clients.push(client);
    expect((await app.fetchSockets()).length).to.equal(1);
    await ioNode.kill("SIGKILL");
    await waitFor(() => reasons.length === 1, { timeout: 10_000, what: "the disconnect of the io-node's socket" });
    expect(reasons).to.deep.equal(["transport close"]);
    expect((await app.fetchSockets()).length).to.equal(0);
    expect(app.engine.clientsCount).to.equal(0);
  });

  it("holds a connection until an app-node appears, then connects it", async () => {
    const p = prefix();
    const ioNode = createIoNode({ port: 0, redis: REDIS!, prefix: p, ...TIMINGS });
    closers.push(() => ioNode.close());
    await ioNode.ready();
    let connected = false;
    const pending = connect(ioNode.address()!, { timeout: 20_000 }).then((c) => ((connected = true), c));
    // the io-node holds the connection before any app-node exists
    await waitFor(() => ioNode.connectionsCount === 1, { what: "the io-node to hold the connection" });
    expect(connected).to.equal(false);
    const app = await spawnNode("app-node", env(p));
    const client = await pending;
    clients.push(client);
    expect((await whoami(client)).app).to.equal(app.id);
  });

  it("re-homes the connections of an app-node stopped with SIGTERM (a deploy)", async () => {
    const { client, doomed, survivor } = await clusterWithDoomedOwner(prefix());
    // SIGTERM without a handler: the process ends at once, like a deploy that just stops the old code
    await doomed.kill("SIGTERM");
    await waitFor(async () => (await whoami(client).catch(() => undefined))?.app !== doomed.id, { timeout: 10_000, what: "a new owner" });
    expect((await whoami(client)).app).to.equal(survivor.id);
  });
});

async function waitForApps(ioNode: IoNode, n: number): Promise<void> {
  const registry = (ioNode as unknown as { registry: { alive(role: string): unknown[] } }).registry;
  await waitFor(() => registry.alive("app").length >= n, { timeout: 10_000, what: `the io-node to see ${n} app-nodes` });
}
