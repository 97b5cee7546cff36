import { expect } from "chai";
import { parseSentinelUrl, redactSentinelUrl } from "../src/transport/sentinel-url";
import { redactUrl } from "../src/cli/redact-url";
import { Server } from "../src";
import { connect, onCleanup, startCluster, track, uniquePrefix, waitFor } from "./helpers";
import { startNode } from "./helpers/browser";
import { PRIMARY_NAME, SentinelSet } from "./helpers/sentinel";
import { expectNothingLost, runFault } from "./faults/harness";

/** A primary, a replica and three Sentinels of the test's own, stopped after it. */
async function sentinelSet(): Promise<SentinelSet> {
  const set = await SentinelSet.start();
  onCleanup(() => set.stop(), "sentinel set");
  return set;
}

describe("Redis behind Sentinel", function () {
  describe("redis-sentinel:// URLs", () => {
    it("give ioredis the Sentinels, the primary's name, its credentials and database", () => {
      expect(parseSentinelUrl("redis-sentinel://u:p%40ss@10.0.0.1,[::1]:26380,h:7/3?name=mymaster&sentinelPassword=sp")).to.deep.equal({
        sentinels: [
          { host: "10.0.0.1", port: 26379 },
          { host: "::1", port: 26380 },
          { host: "h", port: 7 },
        ],
        name: "mymaster",
        username: "u",
        password: "p@ss",
        db: 3,
        sentinelPassword: "sp",
      });
      expect(parseSentinelUrl("redis-sentinel://h1:1?name=m")).to.deep.equal({ sentinels: [{ host: "h1", port: 1 }], name: "m" });
    });

    it("are refused without a host or a name, or with a bad port or database", () => {
      for (const bad of ["redis-sentinel://?name=m", "redis-sentinel://h1", "redis-sentinel://h:0?name=m", "redis-sentinel://h/x?name=m"]) {
        expect(() => parseSentinelUrl(bad), bad).to.throw();
      }
    });

    it("are logged without their passwords", () => {
      const url = "redis-sentinel://:s3cret@h1,h2?name=m&sentinelPassword=other";
      expect(redactSentinelUrl(url)).to.equal("redis-sentinel://:***@h1,h2?name=m&sentinelPassword=***");
      expect(redactUrl(url)).to.not.match(/s3cret|other/);
    });
  });

  it("the io-node command takes a redis-sentinel:// URL", async function () {
    this.timeout(30_000);
    const set = await sentinelSet();
    const prefix = uniquePrefix("sentinel-cli");
    const app = track(new Server({ cluster: { redis: set.url, prefix } }), "app-node");
    app.on("connection", (s) => s.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v)));
    await app.ready();
    const ioNode = startNode(["dist/cli.js", "io-node", "--port", "0", "--host", "127.0.0.1", "--redis", set.url, "--prefix", prefix]);
    onCleanup(() => ioNode.stop(), "io-node command");
    const [, address] = await ioNode.waitForOutput(/listening on http:\/\/(\S+)/);
    const client = await connect(`http://${address}`);
    expect(await client.timeout(5_000).emitWithAck("echo", "via the CLI")).to.equal("via the CLI");
  });

  describe("failover", function () {
    this.timeout(60_000);

    it("SIGKILL of the primary under load: every acked client event handled, no client disconnected, the cluster works on the new primary", async () => {
      const set = await sentinelSet();
      const before = await set.primaryPort();
      const { topo, figures } = await runFault({
        name: "Redis primary SIGKILL, Sentinel failover",
        redis: set.url,
        appEnv: { RECOVERY: "1", LOG_SOCKETS: "1" },
        fault: async () => {
          await set.primary.kill();
          // the stream must then go on past the promotion (runFault waits for that)
          expect(await set.waitForPromotion()).to.not.equal(before);
        },
      });
      expectNothingLost(figures, 0);
      expect(figures.events.ackedNotHandled, "acked client events no app-node handled").to.equal(0);
      const downs = topo.apps.flatMap((app) => app.lines.filter((line) => line.startsWith("NODE-DOWN")));
      expect(downs, "nodes an app-node declared dead").to.deep.equal([]);
      // the registry lives on the new primary: an app-node started now joins, and new clients
      // of every io-node are given to it
      const third = await topo.startApp();
      await topo.waitUntilServing(third, 10_000);
    });

    it("a primary demoted by SENTINEL FAILOVER: writes, pub/sub and relays move to the new primary", async () => {
      const set = await sentinelSet();
      const sentinels = set.sentinels.map((s) => ({ host: "127.0.0.1", port: s.port }));
      const cluster = await startCluster({
        cluster: { redis: { sentinels, name: PRIMARY_NAME } },
        setup: (io) => {
          io.on("connection", (s) => s.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v)));
          io.on("hello", (from: string, ack: (me: string) => void) => ack(io.cluster.appNodeId));
        },
      });
      const client = await cluster.connect(0, { reconnection: false });
      const id = client.id;
      expect(await client.timeout(5_000).emitWithAck("echo", "before")).to.equal("before");

      // the old primary stays up, as a replica: what still talks to it gets READONLY or nothing
      await set.failover();
      await set.waitForPromotion();

      expect(await client.timeout(10_000).emitWithAck("echo", "after")).to.equal("after");
      expect(client.id, "the same connection").to.equal(id);
      // serverSideEmit travels on pub/sub: the subscribers have moved to the new primary too
      const [a, b] = cluster.apps;
      await waitFor(
        async () => {
          const replies = (await a.serverSideEmitWithAck("hello", a.cluster.appNodeId).catch(() => [])) as string[];
          return replies.includes(b.cluster.appNodeId);
        },
        15_000,
        "app-node 1 to answer app-node 0 over pub/sub",
      );
      const late = await cluster.connect(1, { reconnection: false });
      expect(await late.timeout(5_000).emitWithAck("echo", "new")).to.equal("new");
    });
  });
});
