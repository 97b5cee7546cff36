import { expect } from "chai";
import type { Socket as ClientSocket } from "socket.io-client";
import { connect, once, redisClient, redisUrl, uniquePrefix, waitFor } from "./helpers";
import { killAll, NodeProcess, spawnNode, whoami } from "./helpers/processes";
import { RedisKeys, sessionKey } from "../src/transport/keys";

/**
 * An io-node dies (SIGKILL) and its clients come back through another io-node: with
 * connectionStateRecovery the session is restored at once (not after `nodeTimeout`), whole.
 * `nodeTimeout` is far beyond the recovery, so only the recovery claim can retire the old sockets.
 * The defaults (heartbeat 1 s, nodeTimeout 5 s): the claim does not wait for heartbeats to lapse,
 * the app-node's direct link finds the dead io-node's address refusing connections.
 */
const HEARTBEAT = 1_000;
const NODE_TIMEOUT = 5_000;
const CLIENTS = 6;
/** What the cluster client helper waits before it tries another io-node (~0.3 s). */
const RECONNECT_DELAY = 300;

describe("io-node death", function () {
  this.timeout(60_000);

  afterEach(() => killAll());

  /** Two app-nodes, then two io-nodes (so each io-node sees both app-nodes from its first look). */
  async function cluster() {
    const env = {
      REDIS_URL: redisUrl(),
      PREFIX: uniquePrefix("iodeath"),
      HEARTBEAT: String(HEARTBEAT),
      NODE_TIMEOUT: String(NODE_TIMEOUT),
      RECOVERY: "1",
      LOG_SOCKETS: "1",
    };
    const apps = await Promise.all([spawnNode("app-node", env), spawnNode("app-node", env)]);
    const [a, b] = await Promise.all([spawnNode("io-node", env), spawnNode("io-node", env)]);
    return { apps, a, b, prefix: env.PREFIX };
  }

  /** The lines every app-node printed that start with `prefix`. */
  const printed = (apps: NodeProcess[], prefix: string) => apps.flatMap((p) => p.lines.filter((l) => l.startsWith(prefix)));

  it("restores every client of a SIGKILLed io-node on another io-node: same id, rooms, data, missed packets", async () => {
    const { apps, a, b } = await cluster();
    const clients: ClientSocket[] = [];
    const received = new Map<ClientSocket, unknown[]>();
    for (let i = 0; i < CLIENTS; i++) {
      const client = await connect(`http://${a.address}`, {
        transports: ["websocket"],
        reconnection: true,
        randomizationFactor: 0,
      });
      const got: unknown[] = [];
      client.on("room-message", (m) => got.push(m));
      received.set(client, got);
      await client.timeout(5_000).emitWithAck("join", "lobby");
      await client.timeout(5_000).emitWithAck("set", "nickname", `n${i}`);
      clients.push(client);
    }
    const before = await Promise.all(clients.map(whoami));
    // clients come back one by one, those of one app-node first: io-node B hands out owners in
    // turn, so of two that had one owner, one is restored on that app-node and one on the other
    const order = clients.map((_, i) => i).sort((x, y) => before[x].app.localeCompare(before[y].app) || x - y);
    const delays = new Map<ClientSocket, number>();
    order.forEach((i, rank) => delays.set(clients[i], RECONNECT_DELAY + rank * 30));
    for (const [client, ms] of delays) client.io.reconnectionDelay(ms);
    // a client of io-node B speaks into the room, before, during and after the outage
    const speaker = await connect(`http://${b.address}`, { transports: ["websocket"] });
    speaker.emit("to-room", "lobby", "before");
    await waitFor(() => clients.every((c) => received.get(c)!.length === 1), 5_000, "the first broadcast");

    const gaps: number[] = [];
    const beyondDelay: number[] = [];
    const back = clients.map((client) => {
      const lost = once(client, "disconnect", 10_000).then(() => {
        // the client comes back elsewhere, as the cluster client helper does
        (client.io as unknown as { uri: string }).uri = `http://${b.address}`;
        return Date.now();
      });
      return lost.then((at) =>
        once(client, "connect", 10_000).then(() => {
          gaps.push(Date.now() - at);
          beyondDelay.push(Date.now() - at - delays.get(client)!);
        }),
      );
    });
    const recoveredOnClient = new Map<ClientSocket, boolean>();
    for (const client of clients) client.once("connect", () => recoveredOnClient.set(client, client.recovered));
    await a.kill("SIGKILL");
    await waitFor(() => clients.every((c) => !c.connected), 5_000, "every client to see its io-node die");
    speaker.emit("to-room", "lobby", "while away");
    await Promise.all(back);

    const after = await Promise.all(clients.map(whoami));
    // the stale sockets were retired before the sessions were restored, not later
    const copies = await Promise.all(clients.map((c) => c.timeout(8_000).emitWithAck("copies")));
    expect(copies, "one socket per id in the cluster").to.deep.equal(clients.map(() => 1));
    speaker.emit("to-room", "lobby", "after");
    await waitFor(() => clients.every((c) => received.get(c)!.length >= 3), 5_000, "the broadcasts after the recovery");
    clients.forEach((client, i) => {
      expect(after[i].id, `client ${i}: same socket id`).to.equal(before[i].id);
      expect(client.id).to.equal(before[i].id);
      expect(recoveredOnClient.get(client), `client ${i}: recovered on the client`).to.equal(true);
      expect(after[i].recovered, `client ${i}: recovered in the app`).to.equal(true);
      expect(after[i].rooms).to.have.members([before[i].id, "lobby"]);
      expect(after[i].data).to.deep.equal({ nickname: `n${i}` });
      expect(received.get(client), `client ${i}: every broadcast once, the missed one included`).to.deep.equal([
        "before",
        "while away",
        "after",
      ]);
    });
    const maxGap = Math.max(...gaps);
    const median = [...gaps].sort((x, y) => x - y)[Math.floor(gaps.length / 2)];
    console.log(
      `      reconnect gap (disconnect -> recovered connect, reconnection delays ${RECONNECT_DELAY}-${RECONNECT_DELAY + 30 * (CLIENTS - 1)} ms included)` +
        ` over ${gaps.length} clients: median ${median} ms, max ${maxGap} ms; beyond each client's delay: max ${Math.max(...beyondDelay)} ms`,
    );
    const paths = new Set(after.map((w, i) => (w.app === before[i].app ? "same app-node" : "other app-node")));
    expect([...paths], "restored both where the stale socket was and on its peer").to.have.members(["same app-node", "other app-node"]);

    // once nodeTimeout passes, the app-nodes declare io-node A dead: nothing left of it to disconnect
    await waitFor(() => apps.every((p) => p.lines.includes(`NODE-DOWN ${a.id}`)), NODE_TIMEOUT * 3, "the registry to declare A dead");
    for (const w of before) {
      expect(printed(apps, `DISCONNECT ${w.id} `), `socket ${w.id}: one disconnect, of the stale socket`).to.deep.equal([
        `DISCONNECT ${w.id} transport close`,
      ]);
      expect(printed(apps, `CONNECT ${w.id} `)).to.have.members([`CONNECT ${w.id} false`, `CONNECT ${w.id} true`]);
    }
    expect(clients.every((c) => c.connected)).to.equal(true);
    expect((await Promise.all(clients.map(whoami))).map((w) => w.id)).to.deep.equal(before.map((w) => w.id));
  });

  it("refuses a copied session id while the io-node holding the session answers", async () => {
    const { apps, a, b, prefix } = await cluster();
    const owner = await connect(`http://${a.address}`, { transports: ["websocket"] });
    const got: unknown[] = [];
    owner.on("room-message", (m) => got.push(m));
    await owner.timeout(5_000).emitWithAck("join", "lobby");
    await owner.timeout(5_000).emitWithAck("set", "nickname", "owner");
    owner.emit("to-room", "lobby", "first");
    await waitFor(() => got.length === 1, 5_000, "the first broadcast");
    const { _pid: pid, _lastOffset: offset } = owner as unknown as { _pid: string; _lastOffset: string };
    expect(pid).to.be.a("string");
    expect(offset).to.be.a("string");
    // the owner's app-node has stored the live session (what a copied claim could restore)
    const redis = redisClient();
    await waitFor(() => redis.exists(new RedisKeys(prefix).scope(sessionKey(pid))), 5_000, "the session snapshot");

    const thief = await connect(`http://${b.address}`, { transports: ["websocket"], auth: { pid, offset } });
    const stolen = await whoami(thief);
    expect(stolen.id).to.not.equal(owner.id);
    expect(stolen.recovered).to.equal(false);
    expect(stolen.rooms).to.deep.equal([stolen.id]);
    expect(stolen.data).to.deep.equal({});
    expect(thief.recovered).to.equal(false);

    // the owner keeps its session, undisturbed
    const mine = await whoami(owner);
    expect(mine.id).to.equal(owner.id);
    expect(mine.rooms).to.have.members([owner.id, "lobby"]);
    expect(mine.data).to.deep.equal({ nickname: "owner" });
    expect(await owner.timeout(8_000).emitWithAck("copies")).to.equal(1);
    thief.emit("to-room", "lobby", "second");
    await waitFor(() => got.length === 2, 5_000, "the second broadcast");
    expect(got).to.deep.equal(["first", "second"]);
    expect(owner.connected).to.equal(true);
    expect(printed(apps, `DISCONNECT ${owner.id} `)).to.deep.equal([]);
  });
});
