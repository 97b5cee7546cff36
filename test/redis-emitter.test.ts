/**
 * A worker process's `@socket.io/redis-emitter`, unchanged, reaches the cluster when given the
 * cluster's prefix as its key: every app-node acts for the sockets it owns, so each client gets
 * each broadcast once, with rooms, exceptions, namespaces, binary and the emitter's requests.
 */
import { expect } from "chai";
import { Emitter } from "@socket.io/redis-emitter";
import { ClientSocket, ClusterFixture, onCleanup, once, redisClient, startCluster, waitFor } from "./helpers";
import type { Server } from "../src";

function setup(io: Server, index: number): void {
  const join = (socket: import("socket.io").Socket) => {
    socket.on("join", (room: string, cb: () => void) => {
      void socket.join(room);
      cb();
    });
    socket.on("rooms", (cb: (rooms: string[]) => void) => cb([...socket.rooms].filter((r) => r !== socket.id).sort()));
  };
  io.on("connection", join);
  io.of("/nsp").on("connection", join);
  io.on("from-worker", (...args: unknown[]) => io.emit("heard", index, ...args));
}

/** Every `event` a client receives (first argument), in order. */
function collect(client: ClientSocket, event: string): unknown[] {
  const got: unknown[] = [];
  client.on(event, (first: unknown) => got.push(first));
  return got;
}

describe("the Redis emitter", function () {
  let fx: ClusterFixture;
  let emitter: Emitter;
  let clients: ClientSocket[];

  beforeEach(async () => {
    fx = await startCluster({ setup });
    const redis = redisClient();
    emitter = new Emitter(redis, { key: fx.prefix });
    // one client per (io-node, app-node) pair: broadcasts must cross both
    clients = [];
    const owners = new Set<string>();
    for (let attempt = 0; owners.size < 4 && attempt < 40; attempt++) {
      const io = attempt % 2;
      const client = await fx.connect(io);
      const key = `${io}:${fx.apps.indexOf(fx.ownerOf(client.id!))}`;
      if (owners.has(key)) continue;
      owners.add(key);
      clients.push(client);
    }
    expect(owners.size).to.equal(4);
    // r1: clients 0,1; r2: clients 2,3; r3: clients 1,2
    await clients[0].emitWithAck("join", "r1");
    await clients[1].emitWithAck("join", "r1");
    await clients[2].emitWithAck("join", "r2");
    await clients[3].emitWithAck("join", "r2");
    await clients[1].emitWithAck("join", "r3");
    await clients[2].emitWithAck("join", "r3");
    onCleanup(() => redis.quit(), "emitter redis");
  });

  /** Publishes `send`, then a marker to all, and returns what each client got of `event` before the marker. */
  async function observe(event: string, send: () => void): Promise<unknown[][]> {
    const logs = clients.map((c) => collect(c, event));
    const markers = clients.map((c) => once(c, "marker"));
    send();
    emitter.emit("marker");
    await Promise.all(markers);
    return logs;
  }

  it("emits to everyone, once each", async () => {
    expect(await observe("news", () => emitter.emit("news", 1))).to.deep.equal([[1], [1], [1], [1]]);
  });

  it("emits to one room, several rooms and except", async () => {
    expect(await observe("a", () => emitter.to("r1").emit("a", 1))).to.deep.equal([[1], [1], [], []]);
    expect(await observe("b", () => emitter.to(["r1", "r2"]).except("r3").emit("b", 2))).to.deep.equal([[2], [], [], [2]]);
  });

  it("carries binary payloads and the volatile and compress flags", async () => {
    const logs = await observe("bin", () => emitter.to("r2").emit("bin", Buffer.from([1, 2, 3])));
    expect(logs.map((l) => l.map((b) => [...new Uint8Array(b as ArrayBuffer)]))).to.deep.equal([[], [], [[1, 2, 3]], [[1, 2, 3]]]);
    expect(await observe("v", () => emitter.volatile.compress(false).emit("v", 3))).to.deep.equal([[3], [3], [3], [3]]);
  });

  it("reaches other namespaces only", async () => {
    const nspClient = await fx.connect(1, {}, "/nsp");
    const inNsp = collect(nspClient, "n");
    const got = once(nspClient, "n");
    const logs = await observe("n", () => emitter.of("/nsp").emit("n", 4));
    await got;
    expect(logs).to.deep.equal([[], [], [], []]);
    const marker = once(nspClient, "marker");
    emitter.of("/nsp").emit("marker");
    await marker;
    expect(inNsp).to.deep.equal([4]);
  });

  it("makes sockets join and leave rooms, and disconnects them, on every app-node", async () => {
    emitter.to("r1").socketsJoin("joined");
    await waitFor(async () => (await clients[1].emitWithAck("rooms")).includes("joined"), 5_000, "the join");
    await waitFor(async () => (await clients[0].emitWithAck("rooms")).includes("joined"), 5_000, "the join");
    expect(await observe("j", () => emitter.to("joined").emit("j", 5))).to.deep.equal([[5], [5], [], []]);
    emitter.in("joined").except("r3").socketsLeave("joined");
    await waitFor(async () => !(await clients[0].emitWithAck("rooms")).includes("joined"), 5_000, "the leave");
    expect(await observe("k", () => emitter.to("joined").emit("k", 6))).to.deep.equal([[], [6], [], []]);
    const gone = [once(clients[2], "disconnect"), once(clients[3], "disconnect")];
    emitter.in("r2").disconnectSockets();
    await Promise.all(gone);
    expect(clients.map((c) => c.connected)).to.deep.equal([true, true, false, false]);
  });

  it("reaches io.on(event) of every app-node with serverSideEmit", async () => {
    const heard = collect(clients[0], "heard");
    const both = waitFor(() => heard.length === 2, 5_000, "both app-nodes");
    emitter.serverSideEmit("from-worker", "hello");
    await both;
    expect([...heard].sort()).to.deep.equal([0, 1]);
  });

  it("drops garbage on its channels without crashing a node", async () => {
    const raw = redisClient();
    onCleanup(() => raw.quit(), "garbage redis");
    for (const channel of [`${fx.prefix}#/#`, `${fx.prefix}#/#r1#`, `${fx.prefix}-request#/#`, `${fx.prefix}-request#/nope#`]) {
      await raw.publish(channel, "not msgpack nor json");
      await raw.publish(channel, Buffer.from([0x93, 0x01, 0x02, 0x03]));
      await raw.publish(channel, JSON.stringify({ type: 2, opts: { rooms: 5 }, rooms: ["x"] }));
      await raw.publish(channel, JSON.stringify({ type: 6, data: [] }));
    }
    expect(await observe("after", () => emitter.emit("after", 7))).to.deep.equal([[7], [7], [7], [7]]);
  });
});
