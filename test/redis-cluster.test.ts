import { expect } from "chai";
import Redis, { Cluster } from "ioredis";
import { connect, onCleanup, once, track, uniquePrefix, waitFor } from "./helpers";
import { CLUSTER_COMMANDS, clusterAcl } from "./helpers/tls-redis";
import { startNode } from "./helpers/browser";
import { RedisClusterSet } from "./helpers/redis-cluster";
import { Topology } from "./faults/topology";
import { Load } from "./faults/load";
import { duplicateBound, expectNothingLost } from "./faults/harness";
import { adapterChannel, CHANNELS, logKey, RedisKeys, sessionKey } from "../src/transport/keys";
import { parseClusterUrls } from "../src/transport/cluster-url";
import { createRedisClient } from "../src/transport/redis-client";
import { redactUrl } from "../src/cli/redact-url";
import { createIoNode, Server } from "../src";

/** What a node's Redis user needs on a Redis Cluster beyond the single-Redis ACL: sharded pub/sub, and ioredis' slot discovery, ready check, connection names and READONLY on replica connections. */
const CLUSTER_EXTRA_COMMANDS = ["spublish", "ssubscribe", "sunsubscribe", "cluster|slots", "cluster|info", "client|setname", "readonly"];

describe("Redis Cluster", function () {
  this.timeout(30_000);

  describe("node URL lists", () => {
    it("give ioredis the nodes, and the first URL's credentials and TLS for all of them", () => {
      expect(parseClusterUrls("rediss://u:p%40ss@10.0.0.1:7000, 10.0.0.2:7001")).to.deep.equal({
        nodes: [
          { host: "10.0.0.1", port: 7000 },
          { host: "10.0.0.2", port: 7001 },
        ],
        options: { redisOptions: { username: "u", password: "p@ss", tls: {} } },
      });
      expect(parseClusterUrls(["redis://a:7000", "redis://[::1]:7001/0"])).to.deep.equal({
        nodes: [
          { host: "a", port: 7000 },
          { host: "::1", port: 7001 },
        ],
        options: {},
      });
    });

    it("are refused when empty, with a database other than 0 or with mixed schemes", () => {
      for (const bad of [",", "redis://a:7000/1,redis://b:7001", "redis://a:7000,rediss://b:7001", "http://a:1,http://b:2"]) {
        expect(() => parseClusterUrls(bad), bad).to.throw();
      }
    });

    it("are logged without any of their passwords", () => {
      const redacted = redactUrl("redis://:first@h1:7000,redis://u:second@h2:7001");
      expect(redacted).to.equal("redis://:***@h1:7000,redis://u:***@h2:7001");
    });
  });

  describe("on a 3-master cluster with replicas", function () {
    let set: RedisClusterSet;

    before(async function () {
      this.timeout(40_000);
      set = await RedisClusterSet.start();
    });

    after(() => set?.stop());

    it("names read together share a slot, node inboxes spread over slots", async () => {
      const keys = new RedisKeys("sioc");
      const clusterWide = [keys.nodes, keys.links, keys.linkSecret, keys.scope(CHANNELS.nodesChanged), keys.scope(CHANNELS.presence)];
      const slots = await Promise.all(clusterWide.map((k) => set.keySlot(k)));
      expect(new Set(slots).size, `slots of ${clusterWide.join(", ")}`).to.equal(1);
      expect(slots[0]).to.equal(await set.keySlot("sioc"));
      // each inbox, session and namespace log hashes by its own tag only
      const inboxes = await Promise.all(["io-0123456789abcdef", "app-fedcba9876543210"].map((id) => set.keySlot(keys.inbox(id))));
      expect(inboxes[0]).to.not.equal(inboxes[1]);
      expect(inboxes[0]).to.equal(await set.keySlot("io-0123456789abcdef"));
      expect(await set.keySlot(keys.scope(sessionKey("pid-1")))).to.equal(await set.keySlot("pid-1"));
      expect(await set.keySlot(keys.scope(logKey("/chat")))).to.equal(await set.keySlot(keys.scope(adapterChannel("/chat"))));
    });

    it("a node URL list, as an array or one string, makes a Cluster client", async () => {
      for (const config of [set.urls, set.url]) {
        const { client, owned } = createRedisClient(config);
        try {
          expect(owned).to.equal(true);
          expect(client).to.be.instanceOf(Cluster);
          expect(await client.set("{probe}:x", "1")).to.equal("OK");
        } finally {
          client.disconnect();
        }
      }
    });

    it("a user confined by the README's ACL (plus the sharded pub/sub and CLUSTER commands) is refused nothing", async () => {
      const prefix = uniquePrefix("cluster-acl");
      const commands = [...CLUSTER_COMMANDS, ...CLUSTER_EXTRA_COMMANDS];
      await set.onEveryNode("ACL", "SETUSER", "app", "on", ">pw", ...clusterAcl(prefix, commands));
      const redis = set.urls.map((u) => u.replace("redis://", "redis://app:pw@"));
      const app = track(new Server({ cluster: { redis, prefix } }), "app-node");
      app.on("connection", (socket) => {
        socket.on("echo", (v: unknown, ack: (v: unknown) => void) => ack(v));
        socket.on("join", (room: string, ack: () => void) => {
          socket.join(room);
          ack();
        });
      });
      await app.ready();
      const ioNode = track(createIoNode({ port: 0, redis: redis.join(","), prefix }), "io-node");
      await ioNode.ready();
      const client = await connect(`http://${ioNode.address()}`, { transports: ["websocket"] });
      expect(await client.timeout(5_000).emitWithAck("echo", "granted")).to.equal("granted");
      await client.timeout(5_000).emitWithAck("join", "r");
      const heard = once(client, "news", 5_000);
      app.to("r").emit("news", 1);
      expect(await heard).to.deep.equal([1]);
      const denied = (await set.onEveryNode("ACL", "LOG")) as unknown[][];
      expect(denied.flat(), "ACL LOG of every node").to.deep.equal([]);
    });

    it("a broadcast across 2 io-nodes reaches every client, over sharded pub/sub", async () => {
      const topo = await Topology.start({ redis: set.url, appEnv: { RECOVERY: "1" } });
      const load = await Load.connect(topo, { clients: 6 });
      load.start();
      await load.ticksReach(20);
      load.stop();
      await load.settle();
      const figures = load.figures("Redis Cluster broadcast");
      expect(figures.broadcasts.lost, "broadcast deliveries lost").to.equal(0);
      expect(figures.events.acked, "client events acked").to.equal(figures.events.sent);
      // the adapter channel is a shard channel, served by its slot's master only
      const channel = new RedisKeys(topo.prefix).scope(adapterChannel("/"));
      const master = await set.masterOf(channel);
      const direct = new Redis(master.port, "127.0.0.1");
      onCleanup(() => direct.disconnect(), "redis client");
      const [, subscribers] = (await direct.call("PUBSUB", "SHARDNUMSUB", channel)) as [string, number];
      expect(Number(subscribers), "app-nodes subscribed to the shard channel").to.equal(2);
      const [, classic] = (await direct.call("PUBSUB", "NUMSUB", channel)) as [string, number];
      expect(Number(classic), "classic subscribers of it").to.equal(0);
      const redis = new Cluster([{ host: "127.0.0.1", port: master.port }]);
      onCleanup(() => redis.disconnect(), "cluster client");
      const registry = await redis.hgetall(new RedisKeys(topo.prefix).nodes);
      expect(Object.keys(registry)).to.have.length(4);
    });

    it("an app-node SIGKILL under load loses no client", async () => {
      const topo = await Topology.start({ redis: set.url, appEnv: { RECOVERY: "1" } });
      const load = await Load.connect(topo);
      load.start();
      await load.ticksReach(15);
      await topo.stopApp(topo.app(await load.driverOwner()), "SIGKILL");
      const resumed = await load.continues(50).then(
        () => true,
        () => false,
      );
      load.stop();
      await load.settle();
      const figures = { ...load.figures("Redis Cluster app-node SIGKILL"), streamResumed: resumed };
      expectNothingLost(figures, duplicateBound(figures));
    });

    it("keeps serving once a killed master's replica took over", async function () {
      this.timeout(45_000);
      const topo = await Topology.start({ redis: set.url, appEnv: { RECOVERY: "1" } });
      const load = await Load.connect(topo);
      load.start();
      await load.ticksReach(10);
      // the master of the registry, the link addresses and the cluster-wide channels: the worst one to lose
      const master = await set.masterOf(new RedisKeys(topo.prefix).nodes);
      await set.killMaster(master);
      const resumed = await load.continues(30, load.clients, 15_000).then(
        () => true,
        () => false,
      );
      load.stop();
      await load.settle();
      // the relay rides on direct links, the registry waits out the failover: as behind Sentinel, nothing is lost
      const figures = { ...load.figures("Redis Cluster master SIGKILL"), streamResumed: resumed };
      expectNothingLost(figures, duplicateBound(figures));
      expect(figures.events.ackedNotHandled, "acked client events no app-node handled").to.equal(0);
      // new clients connect, through an io-node started now that finds the cluster from the environment
      const ioNode = startNode(["dist/cli.js", "io-node", "--port", "0", "--host", "127.0.0.1", "--prefix", topo.prefix], {
        SOCKET_IO_CLUSTER_REDIS_URL: set.url,
      });
      onCleanup(() => ioNode.stop(), "io-node command");
      const [, address] = await ioNode.waitForOutput(/listening on http:\/\/(\S+)/, 15_000);
      const client = await connect(`http://${address}`, { transports: ["websocket"] });
      expect(await client.timeout(5_000).emitWithAck("echo", "after the failover")).to.equal("after the failover");
      // a room that appears on that io-node now is announced on the failed-over shard's channel:
      // the app-nodes' sharded subscriptions moved to the new master
      const got: unknown[] = [];
      client.on("room-message", (m) => got.push(m));
      await client.timeout(5_000).emitWithAck("join", "after");
      const speaker = await connect(`http://${topo.addresses[0]}`, { transports: ["websocket"] });
      // the speaker's app-node may hear of the room only after its first broadcast: say it again until heard
      const again = setInterval(() => speaker.emit("to-room", "after", "hello"), 200);
      onCleanup(() => clearInterval(again), "speaker");
      await waitFor(() => got.length > 0, 10_000, "a broadcast to the new room");
      expect(got[0]).to.equal("hello");
      // and the registry takes a new app-node, which every io-node then serves
      const third = await topo.startApp();
      await topo.waitUntilServing(third, 10_000);
    });
  });
});
