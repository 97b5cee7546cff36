import { expect } from "chai";
import { Server } from "../src";
import type { IoNode, ServerOptions } from "../src";
import { planMoves, OwnedConnections } from "../src/io-node/rebalance-plan";
import { Rebalancer } from "../src/io-node/rebalancer";
import { resolveClusterOptions } from "../src/options";
import { FrameType } from "../src/protocol/frame";
import { aliveApps, ClientSocket, FAST, startCluster, times, track, waitFor, waitForPeers } from "./helpers";

function owned(entries: Array<[string, number, number?]>): Map<string, OwnedConnections> {
  return new Map(
    entries.map(([id, count, movable = count]) => [id, { count, movable: Array.from({ length: movable }, (_, i) => `${id}/c${i}`) }]),
  );
}

describe("rebalance plan", () => {
  it("moves a fair share to an app-node that joined, from the loaded one", () => {
    const moves = planMoves(owned([["a", 10], ["b", 0]]), 100);
    expect(moves).to.have.length(5);
    expect(moves.every((m) => m.from === "a" && m.to === "b")).to.equal(true);
    expect(new Set(moves.map((m) => m.connId)).size).to.equal(5);
  });

  it("spreads over several newcomers, the remainder staying where it is", () => {
    const moves = planMoves(owned([["a", 10], ["b", 0], ["c", 0]]), 100);
    const to = (id: string) => moves.filter((m) => m.to === id).length;
    // shares 4 (a keeps the remainder), 3, 3
    expect(moves).to.have.length(6);
    expect([to("b"), to("c")]).to.deep.equal([3, 3]);
  });

  it("moves nothing when the spread is already fair (off by one at most)", () => {
    expect(planMoves(owned([["a", 6], ["b", 5]]), 100)).to.deep.equal([]);
    expect(planMoves(owned([["a", 3], ["b", 3], ["c", 2]]), 100)).to.deep.equal([]);
    expect(planMoves(owned([["a", 3]]), 100)).to.deep.equal([]);
  });

  it("takes from every app-node above its share", () => {
    const moves = planMoves(owned([["a", 6], ["b", 6], ["c", 0]]), 100);
    expect(moves.filter((m) => m.from === "a")).to.have.length(2);
    expect(moves.filter((m) => m.from === "b")).to.have.length(2);
    expect(moves.every((m) => m.to === "c")).to.equal(true);
  });

  it("stops at the limit, and moves only movable connections", () => {
    expect(planMoves(owned([["a", 10], ["b", 0]]), 2)).to.have.length(2);
    expect(planMoves(owned([["a", 10, 1], ["b", 0]]), 100)).to.have.length(1);
    expect(planMoves(owned([["a", 10], ["b", 0]]), 0)).to.deep.equal([]);
  });

  it("counts connections already on their way as the newcomer's", () => {
    // 10 in all, b already owns (or receives) 5: balanced
    expect(planMoves(owned([["a", 5], ["b", 5, 0]]), 100)).to.deep.equal([]);
  });
});

describe("rebalance option", () => {
  it("defaults to 50 moves per second, and takes false or a positive rate", () => {
    expect(resolveClusterOptions({}).rebalance).to.deep.equal({ maxPerSecond: 50 });
    expect(resolveClusterOptions({ rebalance: false }).rebalance).to.equal(false);
    expect(resolveClusterOptions({ rebalance: { maxPerSecond: 5 } }).rebalance).to.deep.equal({ maxPerSecond: 5 });
  });

  it("refuses a rate that is not a positive number, before any connection is made", () => {
    expect(() => resolveClusterOptions({ rebalance: { maxPerSecond: 0 } })).to.throw(/maxPerSecond/);
    expect(() => resolveClusterOptions({ rebalance: { maxPerSecond: NaN } })).to.throw(/maxPerSecond/);
    expect(() => resolveClusterOptions({ rebalance: true as never })).to.throw(/rebalance/);
  });
});

describe("rebalancer", () => {
  it("starts at most maxPerSecond moves in any second, a tenth at a time, and the rest later", async () => {
    const startedAt: number[] = [];
    // the time the rebalancer judges the rate by
    let clockRead = 0;
    const clock = () => (clockRead = Date.now());
    const state = owned([["a", 60], ["b", 0]]);
    const host = {
      owners: () => state,
      move: (m: { connId: string; from: string; to: string }) => {
        startedAt.push(clockRead);
        const from = state.get(m.from)!;
        from.count--;
        from.movable = from.movable.filter((c) => c !== m.connId);
        state.get(m.to)!.count++;
      },
    };
    const rebalancer = new Rebalancer(host, 20, clock);
    try {
      rebalancer.check();
      expect(startedAt).to.have.length(2);
      // calls while the rate holds moves back change nothing
      rebalancer.check();
      rebalancer.check();
      expect(startedAt).to.have.length(2);
      // the rest goes on by itself, until the share is fair (30 each)
      await waitFor(() => startedAt.length === 30, 10_000, "every move");
      const inOneSecond = startedAt.map((t) => startedAt.filter((u) => u >= t && u < t + 1000).length);
      expect(Math.max(...inOneSecond)).to.be.at.most(20);
      expect(state.get("b")!.count).to.equal(30);
    } finally {
      rebalancer.close();
    }
  });
});

interface WhoAmI {
  app: string;
  id: string;
  rooms: string[];
  recovered: boolean;
}

const RECOVERY: Partial<ServerOptions> = { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } };

describe("load rebalancing (io-node, real Redis)", function () {
  this.timeout(30_000);

  /** Counts every "tick" token any app-node handled, to check each is handled once. */
  const handled = new Map<string, number>();
  beforeEach(() => handled.clear());

  function setup(io: Server): void {
    io.on("connection", (socket) => {
      socket.on("join", (room: string, ack: () => void) => {
        socket.join(room);
        ack();
      });
      socket.on("whoami", (ack: (w: WhoAmI) => void) =>
        ack({ app: io.cluster.appNodeId, id: socket.id, rooms: [...socket.rooms], recovered: socket.recovered }),
      );
      socket.on("tick", (token: string) => handled.set(token, (handled.get(token) ?? 0) + 1));
      socket.on("to-room", (room: string, msg: string) => io.to(room).emit("room-message", msg));
    });
  }

  /** One io-node and one app-node, `n` clients connected and in "lobby"; `addApp` starts another app-node. */
  async function loadedCluster(n: number, opts: { recovery?: boolean; cluster?: Record<string, unknown> } = {}) {
    const serverOptions = opts.recovery === false ? {} : RECOVERY;
    const fx = await startCluster({ ioNodes: 1, appNodes: 1, serverOptions, cluster: opts.cluster, setup });
    const clients: ClientSocket[] = [];
    for (let i = 0; i < n; i++) {
      const c = await fx.connect(0);
      await c.timeout(5_000).emitWithAck("join", "lobby");
      clients.push(c);
    }
    const ioNode = fx.ioNodes[0];
    const addApp = async (): Promise<Server> => {
      const io = track(new Server({ ...serverOptions, cluster: { redis: fx.redis, prefix: fx.prefix, ...FAST, ...opts.cluster } }), "second app-node");
      setup(io);
      await io.ready();
      await waitFor(() => aliveApps(ioNode).includes(io.cluster.appNodeId), 5_000, "the io-node to see the new app-node");
      await waitForPeers([fx.apps[0], io]);
      return io;
    };
    return { fx, ioNode, clients, addApp };
  }

  /** Resolves after `n` heartbeats of app-nodes read by the io-node (each one lets it rebalance). */
  function heartbeats(ioNode: IoNode, n: number): Promise<unknown> {
    const registry = (ioNode as unknown as { registry: Parameters<typeof times>[0] }).registry;
    return times(registry, "change", n, 10_000);
  }

  it("hands a fair share of the connections to an app-node that joins, invisibly to the clients", async () => {
    const N = 20;
    const { fx, ioNode, clients, addApp } = await loadedCluster(N, { cluster: { rebalance: { maxPerSecond: 8 } } });
    const first = fx.apps[0];
    const before = await Promise.all(clients.map((c) => c.timeout(5_000).emitWithAck("whoami") as Promise<WhoAmI>));
    expect(before.every((w) => w.app === first.cluster.appNodeId)).to.equal(true);

    const seen = clients.map(() => ({ disconnects: 0, connects: 0, messages: [] as string[] }));
    clients.forEach((c, i) => {
      c.on("disconnect", () => seen[i].disconnects++);
      c.on("connect", () => seen[i].connects++);
      c.on("room-message", (m: string) => seen[i].messages.push(m));
    });
    const byConn = new Map(clients.map((c) => [c.io.engine.id, c]));
    const tokens: string[] = [];
    const moved: Array<{ connId: string; from: string; to: string }> = [];
    let during = 0;
    ioNode.on("moved", (m: { connId: string; from: string; to: string }) => {
      moved.push(m);
      // sent while the connection is re-homed: held by the io-node, handled once by the new owner
      const token = `moved-${m.connId}`;
      tokens.push(token);
      byConn.get(m.connId)!.emit("tick", token);
      // and a broadcast to the room while sessions move
      first.to("lobby").emit("room-message", `during-${during++}`);
    });

    const second = await addApp();
    // events sent as the moves start
    clients.forEach((c, i) => {
      tokens.push(`start-${i}`);
      c.emit("tick", `start-${i}`);
    });
    await waitFor(
      () => first.engine.clientsCount === N / 2 && second.engine.clientsCount === N / 2,
      20_000,
      "each app-node to own half of the connections",
    );
    await waitFor(() => moved.length >= N / 2, 5_000, "every move to be announced");
    expect(moved, "no connection moved twice").to.have.length(N / 2);
    expect(moved.every((m) => m.from === first.cluster.appNodeId && m.to === second.cluster.appNodeId)).to.equal(true);

    const after = await Promise.all(clients.map((c) => c.timeout(5_000).emitWithAck("whoami") as Promise<WhoAmI>));
    after.forEach((w, i) => {
      expect(w.id, "the socket id stays").to.equal(before[i].id);
      expect(clients[i].id).to.equal(before[i].id);
      expect(w.rooms).to.include("lobby");
      if (w.app === second.cluster.appNodeId) expect(w.recovered, "a moved socket is a recovered one").to.equal(true);
    });
    expect(after.filter((w) => w.app === second.cluster.appNodeId)).to.have.length(N / 2);

    // every event handled exactly once, wherever its socket was
    await waitFor(() => tokens.every((t) => handled.has(t)), 5_000, "every tick to be handled");
    expect(tokens.filter((t) => handled.get(t) !== 1), "events handled more than once").to.deep.equal([]);

    // the room still reaches everyone, from either app-node; what was broadcast during the moves too, once and in order
    clients[0].emit("to-room", "lobby", "after");
    await waitFor(() => seen.every((s) => s.messages.includes("after")), 5_000, "the room broadcast after the moves");
    const expected = [...Array.from({ length: during }, (_, i) => `during-${i}`), "after"];
    seen.forEach((s, i) => expect(s.messages, `messages of client ${i}`).to.deep.equal(expected));
    expect(seen.map((s) => s.disconnects + s.connects), "no client saw a disconnect or a new connect").to.deep.equal(seen.map(() => 0));
  });

  it("with rebalance: false, a joining app-node gets new connections only (least-loaded counts owned ones)", async () => {
    const N = 6;
    const { fx, ioNode, addApp } = await loadedCluster(N, { cluster: { rebalance: false, ownerStrategy: "least-loaded" } });
    const moved: unknown[] = [];
    ioNode.on("moved", (m) => moved.push(m));
    const second = await addApp();
    // the new app-node owns nothing, the first owns N: a new connection goes to the new one
    await heartbeats(ioNode, 2);
    const newcomer = await fx.connect(0);
    const w = (await newcomer.timeout(5_000).emitWithAck("whoami")) as WhoAmI;
    expect(w.app).to.equal(second.cluster.appNodeId);
    // heartbeats after which a rebalancing io-node would have moved some
    await heartbeats(ioNode, 4);
    expect(fx.apps[0].engine.clientsCount).to.equal(N);
    expect(second.engine.clientsCount).to.equal(1);
    expect(moved).to.deep.equal([]);
  });

  it("moves no connection whose sockets cannot be recovered (no connectionStateRecovery)", async () => {
    const N = 4;
    const { fx, ioNode, addApp } = await loadedCluster(N, { recovery: false });
    const moved: unknown[] = [];
    ioNode.on("moved", (m) => moved.push(m));
    const second = await addApp();
    await heartbeats(ioNode, 4);
    expect(fx.apps[0].engine.clientsCount).to.equal(N);
    expect(second.engine.clientsCount).to.equal(0);
    expect(moved).to.deep.equal([]);
  });

  it("runs the handlers of client packets that came just before the RELEASE of their connection", async () => {
    // Socket.IO hands an event to its listeners a tick after the packet; a release in between used
    // to disconnect the socket first, and the event was dropped unhandled (and unacked)
    const { fx, ioNode, clients } = await loadedCluster(1);
    const app = (fx.apps[0] as unknown as { runtime: { appNode: { handleFrame(from: string, frame: unknown): void } } }).runtime.appNode;
    const connId = clients[0].io.engine.id;
    app.handleFrame(ioNode.id, { type: FrameType.DATA, connId, data: '2["tick","before-release"]' });
    app.handleFrame(ioNode.id, { type: FrameType.RELEASE, connId });
    await waitFor(() => fx.apps[0].engine.clientsCount === 0, 5_000, "the connection to be released");
    expect(handled.get("before-release"), "the event that came before the RELEASE").to.equal(1);
  });
});
