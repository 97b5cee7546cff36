/**
 * Anyone who can reach Redis can write garbage into a cluster's keys. Nodes must log it, drop it,
 * and keep serving.
 */
import { expect } from "chai";
import Redis from "ioredis";
import { encodeBatch } from "../src/protocol/codec";
import { FrameType, PROTOCOL_VERSION } from "../src/protocol/frame";
import type { IoNode, Server } from "../src";
import type { NodeRegistry } from "../src/cluster/node-registry";
import { ClientSocket, ClusterFixture, onCleanup, redisUrl, startCluster, times, waitFor } from "./helpers";
import { adapterChannel, RedisKeys } from "../src/transport/keys";

function redisClient(): Redis {
  const r = new Redis(redisUrl());
  onCleanup(() => r.quit().catch(() => r.disconnect()), "redis client");
  return r;
}

/** The membership view of an io-node or an app-node (white-box: its heartbeat reads). */
function registryOf(node: IoNode | Server): NodeRegistry {
  const n = node as unknown as { registry?: NodeRegistry; runtime?: { appNode: { registry: NodeRegistry } } };
  return n.registry ?? n.runtime!.appNode.registry;
}

async function fixture(): Promise<ClusterFixture> {
  return startCluster({
    setup: (io, i) =>
      io.on("connection", (socket) => {
        socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb({ x, app: i }));
      }),
  });
}

/** Every client still gets answers, new clients still connect, and fetchSockets sees them all. */
async function stillWorks(fx: ClusterFixture, clients: ClientSocket[]): Promise<void> {
  for (const c of clients) expect((await c.emitWithAck("echo", "still")) as { x: string }).to.include({ x: "still" });
  const fresh = [await fx.connect(0), await fx.connect(1)];
  for (const c of fresh) expect((await c.emitWithAck("echo", "new")) as { x: string }).to.include({ x: "new" });
  const all = [...clients, ...fresh].map((c) => c.id).sort();
  for (const io of fx.apps) expect((await io.fetchSockets()).map((s) => s.id).sort()).to.deep.equal(all);
}

async function clientsOnBothApps(fx: ClusterFixture): Promise<ClientSocket[]> {
  const clients: ClientSocket[] = [];
  for (let i = 0; i < 4; i++) clients.push(await fx.connect(i % 2));
  const owners = new Set(clients.map((c) => fx.ownerOf(c.id!)));
  expect(owners.size).to.equal(2);
  return clients;
}

describe("bad input in Redis", () => {
  it("garbage fields in the registry hash are ignored", async () => {
    const fx = await fixture();
    const clients = await clientsOnBothApps(fx);
    const redis = redisClient();
    const key = new RedisKeys(fx.prefix).nodes;
    const now = Date.now();
    await redis.hset(key, {
      "not-json": "{this is not json",
      empty: "",
      "wrong-shape": JSON.stringify({ hello: "world" }),
      "id-mismatch": JSON.stringify({ id: "someone-else", role: "app", seq: 1, at: now, connections: 0, messages: 0 }),
      "bad-role": JSON.stringify({ id: "bad-role", role: "king", seq: 1, at: now }),
      "app-null": "null",
      "\u0000binary\u00ff": "\u0000\u0001\u0002",
    });
    // every node reads the registry at each heartbeat: wait until each has read it after the write
    // (the second read; the first may have started before)
    await Promise.all([...fx.ioNodes, ...fx.apps].map((node) => times(registryOf(node), "polled", 2)));
    await stillWorks(fx, clients);
    // the garbage never became a node
    const known = (fx.ioNodes[0] as unknown as { registry: { alive(): Array<{ id: string }> } }).registry
      .alive()
      .map((r) => r.id);
    for (const bogus of ["not-json", "empty", "wrong-shape", "id-mismatch", "someone-else", "bad-role", "app-null"]) {
      expect(known).to.not.include(bogus);
    }
  });

  it("a fake but well-formed app-node record does not receive connections once it stops beating", async () => {
    const fx = await fixture();
    const redis = redisClient();
    // a record that looks alive once, and then never changes: dead after nodeTimeout
    const fake = { id: "app-fake", role: "app", seq: 1, at: Date.now(), connections: 0, messages: 0, pid: 1, host: "x", startedAt: 0 };
    await redis.hset(new RedisKeys(fx.prefix).nodes, fake.id, JSON.stringify(fake));
    await waitFor(
      () => !(fx.ioNodes[0] as unknown as { registry: { isAlive(id: string): boolean } }).registry.isAlive("app-fake"),
      5_000,
      "the fake node to be judged dead",
    );
    const clients: ClientSocket[] = [];
    for (let i = 0; i < 4; i++) clients.push(await fx.connect(i % 2));
    await stillWorks(fx, clients);
  });

  it("garbage entries in an app-node's inbox stream are dropped", async () => {
    const fx = await fixture();
    const clients = await clientsOnBothApps(fx);
    const redis = redisClient();
    for (const io of fx.apps) {
      const key = new RedisKeys(fx.prefix).inbox(io.cluster.appNodeId);
      const valid = encodeBatch({ version: PROTOCOL_VERSION, from: fx.ioNodes[0].id, epoch: 1, seq: 1, frames: [] });
      await redis.xadd(key, "*", "p", "garbage");
      await redis.xadd(key, "*", "p", Buffer.from([PROTOCOL_VERSION, 200, 1, 2]));
      await redis.xadd(key, "*", "p", Buffer.from([99, ...valid.subarray(1)]));
      await redis.xadd(key, "*", "p", valid.subarray(0, valid.length - 1));
      await redis.xadd(key, "*", "p", Buffer.alloc(0));
      await redis.xadd(key, "*", "other-field", "x");
      await redis.xadd(key, "*", "p", "x", "q", "y");
      // well-formed frames about connections that do not exist, from a node that does not exist
      await redis.xadd(
        key,
        "*",
        "p",
        encodeBatch({
          version: PROTOCOL_VERSION,
          from: "io-nobody",
          epoch: 1,
          seq: 7,
          frames: [
            { type: FrameType.DATA, connId: "no-such-conn", data: '2["x"]' },
            { type: FrameType.CLOSE, connId: "no-such-conn", reason: "transport close" },
            { type: FrameType.UPGRADE, connId: "no-such-conn", transport: "websocket", done: true },
            { type: FrameType.WRITE, connId: "no-such-conn", data: "x", compress: true, volatile: false },
            { type: FrameType.RECEIPT, epoch: 1, seq: 3 },
          ],
        }),
      );
    }
    await stillWorks(fx, clients);
  });

  it("garbage entries in an io-node's inbox stream are dropped, and forged writes do not reach clients", async () => {
    const fx = await fixture();
    const clients = await clientsOnBothApps(fx);
    const redis = redisClient();
    const received: unknown[] = [];
    for (const c of clients) c.onAny((...args) => received.push(args));
    for (const node of fx.ioNodes) {
      const key = new RedisKeys(fx.prefix).inbox(node.id);
      await redis.xadd(key, "*", "p", "garbage");
      await redis.xadd(key, "*", "p", Buffer.from([PROTOCOL_VERSION]));
      await redis.xadd(key, "*", "nothing", "here");
      // a well-formed write to a real connection, from a node that does not own it
      for (const id of Object.keys((node.engine as unknown as { clients: Record<string, unknown> }).clients)) {
        await redis.xadd(
          key,
          "*",
          "p",
          encodeBatch({
            version: PROTOCOL_VERSION,
            from: "app-forger",
            epoch: 1,
            seq: 1,
            frames: [
              { type: FrameType.WRITE, connId: id, data: '2["forged"]', compress: true, volatile: false },
              { type: FrameType.DISCONNECT, connId: id, discard: false },
              { type: FrameType.OPEN, connId: id, handshake: { protocol: 4, headers: {}, url: "/", query: {}, remoteAddress: "", secure: false, transport: "polling" } },
            ],
          }),
        );
      }
    }
    // answers to these round trips come through the same inboxes, after the garbage
    await stillWorks(fx, clients);
    expect(received).to.deep.equal([]);
    for (const c of clients) expect(c.connected).to.equal(true);
  });

  it("garbage on the adapter channel is dropped", async () => {
    const fx = await fixture();
    const clients = await clientsOnBothApps(fx);
    const redis = redisClient();
    for (const payload of ["garbage", Buffer.from([0xc1]), Buffer.from([0x92, 0x01, 0x02]), Buffer.alloc(0)]) {
      await redis.publish(new RedisKeys(fx.prefix).scope(adapterChannel("/")), payload);
    }
    await stillWorks(fx, clients);
    const got = clients.map((c) => new Promise((r) => c.once("after-garbage", r)));
    fx.apps[1].emit("after-garbage", 1);
    expect(await Promise.all(got)).to.deep.equal([1, 1, 1, 1]);
  });
});
