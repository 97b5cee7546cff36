/**
 * Two clusters with different prefixes on one Redis never meet.
 */
import { expect } from "chai";
import Redis from "ioredis";
import { aliveApps, ClusterFixture, onCleanup, redisUrl, startCluster, uniquePrefix, waitFor } from "./helpers";
import { RedisKeys } from "../src/transport/keys";

function setup(label: string) {
  return (io: import("../src").Server) =>
    io.on("connection", (socket) => {
      socket.join("shared-room-name");
      socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(`${label}:${String(x)}`));
    });
}

async function twoClusters(): Promise<[ClusterFixture, ClusterFixture]> {
  const a = await startCluster({ prefix: uniquePrefix("A"), ioNodes: 1, appNodes: 2, setup: setup("A") });
  const b = await startCluster({ prefix: uniquePrefix("B"), ioNodes: 1, appNodes: 2, setup: setup("B") });
  return [a, b];
}

describe("cluster prefixes: two clusters on one Redis", () => {
  it("each cluster's registry holds only its own nodes", async () => {
    const [a, b] = await twoClusters();
    const idsA = a.apps.map((io) => io.cluster.appNodeId);
    const idsB = b.apps.map((io) => io.cluster.appNodeId);
    expect(aliveApps(a.ioNodes[0]).sort()).to.deep.equal([...idsA].sort());
    expect(aliveApps(b.ioNodes[0]).sort()).to.deep.equal([...idsB].sort());
    const redis = new Redis(redisUrl());
    onCleanup(() => redis.quit(), "redis client");
    const nodesA = Object.keys(await redis.hgetall(new RedisKeys(a.prefix).nodes)).sort();
    const nodesB = Object.keys(await redis.hgetall(new RedisKeys(b.prefix).nodes)).sort();
    expect(nodesA).to.deep.equal([...idsA, a.ioNodes[0].id].sort());
    expect(nodesB).to.deep.equal([...idsB, b.ioNodes[0].id].sort());
    // and every key a cluster wrote is under its prefix
    for (const id of [...idsA, a.ioNodes[0].id]) {
      const keys = (await redis.keys(`*${id}*`)).filter((k) => !k.startsWith(`${a.prefix}:`));
      expect(keys, `keys of ${id} outside ${a.prefix}`).to.deep.equal([]);
    }
  });

  it("fetchSockets of one cluster never returns sockets of the other", async () => {
    const [a, b] = await twoClusters();
    const ca = await a.connect(0);
    const cb = await b.connect(0);
    expect(await ca.emitWithAck("echo", 1)).to.equal("A:1");
    expect(await cb.emitWithAck("echo", 1)).to.equal("B:1");
    for (const io of a.apps) expect((await io.fetchSockets()).map((s) => s.id)).to.deep.equal([ca.id]);
    for (const io of b.apps) expect((await io.fetchSockets()).map((s) => s.id)).to.deep.equal([cb.id]);
    for (const io of a.apps) {
      expect((await io.in("shared-room-name").fetchSockets()).map((s) => s.id)).to.deep.equal([ca.id]);
    }
  });

  it("broadcasts and serverSideEmit stay in their cluster", async () => {
    const [a, b] = await twoClusters();
    const ca = await a.connect(0);
    const cb = await b.connect(0);
    const bGot: unknown[] = [];
    cb.onAny((...args) => bGot.push(args));
    const bServerGot: unknown[] = [];
    for (const io of b.apps) io.on("side", (x: unknown) => bServerGot.push(x));
    let aServerGot = 0;
    a.apps[1].on("side", () => aServerGot++);

    for (const io of a.apps) {
      const got = ca.emitWithAck("echo", "sync").then(() => undefined);
      io.emit("everyone", "from A");
      io.to("shared-room-name").emit("room", "from A");
      await got;
    }
    a.apps[0].serverSideEmit("side", "from A");
    await waitFor(() => aServerGot === 1);
    // B's client would have received A's broadcasts before the answer to a round trip that starts now
    expect(await cb.emitWithAck("echo", "after")).to.equal("B:after");
    expect(await ca.emitWithAck("echo", "after")).to.equal("A:after");
    expect(bGot).to.deep.equal([]);
    expect(bServerGot).to.deep.equal([]);
    // and B's own broadcasts still work
    const own = new Promise((resolve) => cb.once("everyone", resolve));
    b.apps[1].emit("everyone", "from B");
    expect(await own).to.equal("from B");
  });
});
