/**
 * Broadcasts fanned out on io-nodes, through a real redis-server: 2 io-nodes, 2 app-nodes. A
 * broadcast is one frame per io-node that holds a member of its rooms, and none to the others.
 */
import { expect } from "chai";
import type { IoNode, Server } from "../src";
import { Frame, FrameType } from "../src/protocol/frame";
import { ClientSocket, ClusterFixture, once, startCluster, times, waitFor } from "./helpers";

/** Counts the broadcast frames an io-node receives, whichever way they come. */
function countBroadcasts(node: IoNode): { count: number } {
  const seen = { count: 0 };
  const original = node.handleFrame.bind(node);
  node.handleFrame = (from: string, frame: Frame) => {
    if (frame.type === FrameType.BROADCAST) seen.count++;
    original(from, frame);
  };
  return seen;
}

/** Which io-nodes an app-node would send a broadcast to `rooms` of "/" to. */
function fanOutTargets(io: Server, rooms: string[]): string[] {
  const appNode = (io as unknown as { runtime: { appNode: { collectIoNodes(n: string, r: string[], i: Set<string>, e: boolean): void } } }).runtime.appNode;
  const into = new Set<string>();
  appNode.collectIoNodes("/", rooms, into, rooms.length === 0);
  return [...into];
}

function setup(io: Server, index: number): void {
  io.on("connection", (socket) => {
    socket.data.app = index;
    socket.on("join", (room: string, cb: () => void) => {
      void socket.join(room);
      cb();
    });
    socket.on("leave", (room: string, cb: () => void) => {
      void socket.leave(room);
      cb();
    });
    // an emit to the socket, a broadcast, another emit: the client sees them in this order
    socket.on("sandwich", (room: string, cb: () => void) => {
      socket.emit("seq", "before");
      io.to(room).emit("seq", "broadcast");
      socket.emit("seq", "after");
      cb();
    });
  });
}

type Placed = Awaited<ReturnType<typeof place>>;

/** Two io-nodes, two app-nodes where a `tell` event broadcasts its number to a room, and four clients over them. */
async function tellingCluster(): Promise<{ fx: ClusterFixture; placed: Placed[] }> {
  const fx = await startCluster({
    setup: (io, i) => {
      setup(io, i);
      io.on("connection", (socket) => socket.on("tell", (room: string, n: number) => io.to(room).emit("news", n)));
    },
  });
  return { fx, placed: [await place(fx, 0), await place(fx, 1), await place(fx, 0), await place(fx, 1)] };
}

/**
 * `count` times: the joiner joins room `<prefix>-<i>` (new on its io-node: its first member makes
 * it appear there) and, once that is confirmed, the teller tells it `i`; returns the news the joiner got.
 */
async function joinThenTell(joiner: Placed, teller: Placed, prefix: string, count: number): Promise<unknown[]> {
  const got = collect(joiner.client, "news");
  for (let i = 0; i < count; i++) {
    const room = `${prefix}-${i}`;
    await joiner.client.emitWithAck("join", room);
    const next = once(joiner.client, "news");
    teller.client.emit("tell", room, i);
    await next;
  }
  return got;
}

/** Makes an app-node's Redis subscriber hand it room presence announcements `ms` late. */
function delayPresence(io: Server, ms: number): void {
  const sub = (io as unknown as { runtime: { appNode: { cluster: { transport: { sub: { emit(event: string, ...args: unknown[]): boolean } } } } } }).runtime.appNode.cluster.transport.sub;
  const emit = sub.emit.bind(sub);
  sub.emit = (event: string, ...args: unknown[]) => {
    const channel = String(args[0] ?? "");
    if ((event === "messageBuffer" || event === "smessageBuffer") && channel.endsWith(":rooms")) {
      setTimeout(() => emit(event, ...args), ms);
      return true;
    }
    return emit(event, ...args);
  };
}

/** Connects a client on io-node `io` and returns it with the index of the app-node owning it. */
async function place(fx: ClusterFixture, io: number): Promise<{ client: ClientSocket; app: number }> {
  const client = await fx.connect(io);
  return { client, app: fx.apps.indexOf(fx.ownerOf(client.id!)) };
}

/** The first argument of every `event` the client receives (recovery appends an offset after it). */
function collect(client: ClientSocket, event: string): unknown[] {
  const got: unknown[] = [];
  client.on(event, (first: unknown) => got.push(first));
  return got;
}

describe("broadcasts fanned out on io-nodes", function () {
  this.timeout(15_000);

  it("reach exactly the room's members, once each, from either app-node", async () => {
    const fx = await startCluster({ setup });
    const placed = [await place(fx, 0), await place(fx, 1), await place(fx, 0), await place(fx, 1)];
    const members = placed.slice(0, 3);
    for (const { client } of members) await client.emitWithAck("join", "room");
    // the same client in two target rooms gets the packet once
    await members[0].client.emitWithAck("join", "other");
    const logs = placed.map(({ client }) => collect(client, "news"));
    await waitFor(() => fx.apps.every((io) => fanOutTargets(io, ["room"]).length === 2), 5_000, "presence of the room on both io-nodes");
    for (const [i, io] of fx.apps.entries()) {
      const barrier = placed.map(({ client }) => once(client, "barrier"));
      io.to("room").to("other").emit("news", i);
      io.emit("barrier");
      await Promise.all(barrier);
    }
    expect(logs).to.deep.equal([[0, 1], [0, 1], [0, 1], []]);
  });

  it("keep their place among the emitting app-node's other packets", async () => {
    const fx = await startCluster({ setup });
    const a = await place(fx, 0);
    const b = await place(fx, 1);
    await a.client.emitWithAck("join", "room");
    await b.client.emitWithAck("join", "room");
    const seqA = collect(a.client, "seq");
    const seqB = collect(b.client, "seq");
    const gotB = once(b.client, "seq");
    await a.client.emitWithAck("sandwich", "room");
    await waitFor(() => seqA.length === 3, 5_000, "the three packets");
    expect(seqA).to.deep.equal(["before", "broadcast", "after"]);
    await gotB;
    expect(seqB).to.deep.equal(["broadcast"]);
  });

  it("a join followed at once by a broadcast of the same app-node is never reordered", async () => {
    const fx = await startCluster({
      setup: (io, i) => {
        setup(io, i);
        io.on("connection", (socket) =>
          socket.on("join-and-hear", (room: string) => {
            void socket.join(room);
            io.to(room).emit("heard", room);
          }),
        );
      },
    });
    const { client } = await place(fx, 1);
    const heard = once(client, "heard");
    // a room nobody was in: the io-node has not announced it to anyone yet
    client.emit("join-and-hear", "brand-new");
    expect(await heard).to.deep.equal(["brand-new"]);
  });

  it("a broadcast another app-node makes on a packet it got after a client's join was confirmed reaches that client", async () => {
    const { placed } = await tellingCluster();
    for (const joiner of placed) {
      const teller = placed.find((p) => p.app !== joiner.app)!;
      expect(await joinThenTell(joiner, teller, `fresh-${joiner.client.id}`, 10)).to.deep.equal([...Array(10).keys()]);
    }
  });

  it("a client's join is confirmed only once every app-node routes to the room: a broadcast another app-node makes on a packet that came after it, while that app-node reads Redis late, reaches the client", async () => {
    const { fx, placed } = await tellingCluster();
    const joiner = placed.find((p) => p.app === 0)!;
    const teller = placed.find((p) => p.app === 1)!;
    // the teller's app-node reads room presence 100 ms late (a busy process, a slow Redis
    // connection): Redis has taken the announcement long before, the teller's packet comes first
    delayPresence(fx.apps[1], 100);
    expect(await joinThenTell(joiner, teller, "late", 3)).to.deep.equal([0, 1, 2]);
  });

  it("an io-node without members of the rooms receives no frame", async () => {
    const fx = await startCluster({ setup });
    const frames = fx.ioNodes.map(countBroadcasts);
    const on0 = [await place(fx, 0), await place(fx, 0)];
    const on1 = await place(fx, 1);
    for (const { client } of on0) await client.emitWithAck("join", "only-on-0");
    await waitFor(
      () => fx.apps.every((io) => fanOutTargets(io, ["only-on-0"]).length === 1 && fanOutTargets(io, []).length === 2),
      5_000,
      "presence: the room on io-node 0 only",
    );
    const news = on0.map(({ client }) => collect(client, "news"));
    const outsider = collect(on1.client, "news");
    for (const io of fx.apps) io.to("only-on-0").emit("news", "x");
    // a broadcast to everyone from each app-node after them, on the same links: once both are in,
    // theirs were in before them
    const everyone = [...on0, on1].map(({ client }) => times(client, "everyone", 2));
    for (const io of fx.apps) io.emit("everyone");
    await Promise.all(everyone);
    expect(news).to.deep.equal([["x", "x"], ["x", "x"]]);
    expect(outsider).to.deep.equal([]);
    expect(frames[0].count, "io-node 0: two room broadcasts and two to everyone").to.equal(4);
    expect(frames[1].count, "io-node 1: only the broadcasts to everyone").to.equal(2);
  });

  it("io.local reaches only the emitting app-node's own sockets", async () => {
    const fx = await startCluster({ setup });
    const placed = [await place(fx, 0), await place(fx, 1), await place(fx, 0), await place(fx, 1)];
    for (const { client } of placed) await client.emitWithAck("join", "room");
    const logs = placed.map(({ client }) => collect(client, "local-news"));
    const barrier = placed.map(({ client }) => once(client, "barrier"));
    fx.apps[0].local.to("room").emit("local-news", "from 0");
    fx.apps[0].emit("barrier");
    await Promise.all(barrier);
    expect(logs).to.deep.equal(placed.map(({ app }) => (app === 0 ? ["from 0"] : [])));
  });

  it("a socket's rooms move with its connection when it is re-homed (recovery on)", async () => {
    const fx = await startCluster({ setup, serverOptions: { connectionStateRecovery: {} } });
    const first = await place(fx, 0);
    const second = await place(fx, 0);
    const moving = first.app === 0 ? first : second;
    const staying = moving === first ? second : first;
    expect(moving.app).to.equal(0);
    await moving.client.emitWithAck("join", "room");
    const id = moving.client.id;
    const got = collect(moving.client, "news");
    await fx.apps[0].handOver();
    // the same socket on the other app-node, restored: it answers there
    await waitFor(() => fx.apps[1].of("/").sockets.has(id!), 5_000, "the socket restored on app-node 1");
    expect(fx.apps[1].of("/").sockets.get(id!)!.recovered).to.equal(true);
    const news = once(moving.client, "news");
    fx.apps[1].to("room").emit("news", "after the move");
    await news;
    expect(got).to.deep.equal(["after the move"]);
    expect(moving.client.id).to.equal(id);
    expect(fx.apps[1].of("/").sockets.get(id!)!.rooms.has("room")).to.equal(true);
    expect(staying.client.connected).to.equal(true);
  });

  it("a broadcast made just before handOver() reaches the other app-nodes' clients (recovery on)", async () => {
    // with recovery a broadcast first waits for its log offset; a hand-over meanwhile used to drop it
    const fx = await startCluster({ setup, serverOptions: { connectionStateRecovery: {} } });
    let other = await place(fx, 0);
    if (other.app !== 1) other = await place(fx, 0);
    expect(other.app, "a client owned by app-node 1").to.equal(1);
    await waitFor(() => fanOutTargets(fx.apps[0], []).length === 1, 5_000, "app-node 0 to know io-node 0 holds clients");
    const lastWords = once(other.client, "last-words");
    fx.apps[0].emit("last-words", "bye");
    await fx.apps[0].handOver();
    expect((await lastWords)[0]).to.equal("bye");
  });

  it("without recovery, a re-homed connection's new socket is in no old room", async () => {
    const fx = await startCluster({ setup });
    const first = await place(fx, 0);
    const second = await place(fx, 0);
    const moving = first.app === 0 ? first : second;
    await moving.client.emitWithAck("join", "room");
    const oldId = moving.client.id;
    const reconnected = once(moving.client, "connect");
    await fx.apps[0].handOver();
    await reconnected;
    expect(moving.client.id).to.not.equal(oldId);
    const got = collect(moving.client, "news");
    const barrier = once(moving.client, "barrier");
    fx.apps[1].to("room").emit("news", "old room");
    fx.apps[1].emit("barrier");
    await barrier;
    expect(got).to.deep.equal([]);
  });
});
