import { expect } from "chai";
import { connect as netConnect, createServer as createNetServer, Socket } from "net";
import { spawn } from "child_process";
import { randomBytes } from "crypto";
import Redis from "ioredis";
import { RedisTransport } from "../src/transport/redis";
import { encodeHello, encodeDataHeader, FrameReader, FrameType, MAX_FRAME_BYTES } from "../src/transport/direct/wire";
import { InboxSequencer } from "../src/transport/direct/sequencer";
import { advertisedHost } from "../src/transport/direct/address";
import { Server, createIoNode } from "../src";
import { resolveClusterOptions } from "../src/options";
import { aliveApps, connect as connectClient, FAST, onCleanup, redisUrl, track, uniquePrefix, waitFor } from "./helpers";
import { spawnNode } from "./helpers/processes";
import { RedisKeys } from "../src/transport/keys";

/** A transport closed after the test. */
function transport(prefix: string, directLinks: boolean = true): RedisTransport {
  const t = new RedisTransport(redisUrl(), prefix, { directLinks });
  onCleanup(() => t.close(), "transport");
  return t;
}

/** Starts `nodeId`'s inbox on `t` and returns what it receives, as strings, in order. */
async function inbox(t: RedisTransport, nodeId: string): Promise<string[]> {
  const got: string[] = [];
  await t.listen(nodeId, (p) => got.push(p.toString()));
  return got;
}

const numbered = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => String(from + i));

/** Sends `from..to-1`, a few per event-loop turn (as relay batches leave), calling `during(i)` before each. */
async function sendRange(t: RedisTransport, nodeId: string, from: number, to: number, during?: (i: number) => void) {
  for (let i = from; i < to; i++) {
    during?.(i);
    t.send(nodeId, Buffer.from(String(i)));
    if (i % 20 === 0) await new Promise((r) => setImmediate(r));
  }
}

function redisClient(): Redis {
  const r = new Redis(redisUrl());
  onCleanup(() => r.disconnect(), "redis");
  return r;
}

async function linkAddress(prefix: string, nodeId: string): Promise<{ host: string; port: number }> {
  const raw = await waitFor(() => redisClient().hget(new RedisKeys(prefix).links, nodeId), 5_000, "published address");
  const [host, port] = [raw.slice(0, raw.lastIndexOf(":")), Number(raw.slice(raw.lastIndexOf(":") + 1))];
  return { host, port };
}

/** Opens a raw connection to a link server and resolves once the server has closed it. */
function rawConnection(address: { host: string; port: number }, bytes: Buffer[]): Promise<void> {
  return new Promise((resolve) => {
    const socket: Socket = netConnect(address);
    socket.on("error", () => undefined);
    socket.on("close", () => resolve());
    // read what the server says (a welcome), or its close would never be seen
    socket.resume();
    socket.on("connect", () => bytes.forEach((b) => socket.write(b)));
  });
}

describe("direct links", function () {
  this.timeout(20_000);

  it("deliver many payloads in order, exactly once, over TCP and nothing on the stream", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b] = [transport(prefix), transport(prefix)];
    const got = await inbox(b, "node-b");
    await sendRange(a, "node-b", 0, 5_000);
    await waitFor(() => got.length >= 5_000, 10_000, "5000 payloads");
    expect(got).to.deep.equal(numbered(0, 5_000));
    expect(a.linkStats()!.streamSent).to.equal(0);
    expect(a.linkStats()!.directSent).to.equal(5_000);
    // the receiver's receipts release the sender's copies
    await waitFor(() => a.links!.peer("node-b")!.pending === 0, 5_000, "receipts");
  });

  it("carry large payloads split over many TCP chunks", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b] = [transport(prefix), transport(prefix)];
    const got: Buffer[] = [];
    await b.listen("node-b", (p) => got.push(p));
    const big = [randomBytes(3 * 1024 * 1024), randomBytes(70_000), randomBytes(1)];
    for (const p of big) a.send("node-b", p);
    await waitFor(() => got.length >= 3, 10_000, "3 payloads");
    got.forEach((p, i) => expect(p.equals(big[i])).to.equal(true));
  });

  it("lose and duplicate nothing when the TCP connection is destroyed mid-stream, on either side", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b] = [transport(prefix), transport(prefix)];
    const got = await inbox(b, "node-b");
    const cuts: Array<Promise<void>> = [];
    await sendRange(a, "node-b", 0, 6_000, (i) => {
      if (i === 2_000) cuts.push(b.links!.acceptedSockets().then((s) => s.forEach((x) => x.destroy())));
      if (i === 4_000) a.links!.peer("node-b")!.connection?.destroy();
    });
    await Promise.all(cuts);
    await waitFor(() => got.length >= 6_000, 10_000, "6000 payloads");
    expect(got).to.deep.equal(numbered(0, 6_000));
    // the cut was real: more was written than the 6000 payloads (the replays)
    expect(a.linkStats()!.directSent).to.be.greaterThan(6_000);
    await waitFor(() => a.links!.peer("node-b")!.pending === 0, 5_000, "receipts");
    expect(got.length).to.equal(6_000);
  });

  it("keep the order when a link moves from the stream (no address yet) to TCP", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b] = [transport(prefix), transport(prefix)];
    // node-b does not listen yet: the first payloads wait in its stream
    await sendRange(a, "node-b", 0, 500);
    await waitFor(() => a.linkStats()!.streamSent >= 500, 5_000, "stream fallback");
    const got = await inbox(b, "node-b");
    let i = 500;
    // keep sending until the sender's retry finds the address and the link goes direct
    while (a.links!.peer("node-b")!.connection === undefined) {
      await sendRange(a, "node-b", i, i + 10);
      i += 10;
      await new Promise((r) => setTimeout(r, 5));
    }
    await sendRange(a, "node-b", i, i + 500);
    i += 500;
    await waitFor(() => got.length >= i, 10_000, `${i} payloads`);
    expect(got).to.deep.equal(numbered(0, i));
    expect(a.linkStats()!.directSent).to.be.greaterThan(0);
  });

  it("replay over TCP what went to the stream while the peer's address did not answer, once it does", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b] = [transport(prefix), transport(prefix)];
    const got = await inbox(b, "node-b");
    const redis = redisClient();
    const real = (await redis.hget(new RedisKeys(prefix).links, "node-b"))!;
    // a stale address: a port nobody listens on any more
    const stale = await new Promise<number>((resolve) => {
      const srv = createNetServer().listen(0, "127.0.0.1", () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    await redis.hset(new RedisKeys(prefix).links, "node-b", `127.0.0.1:${stale}`);
    await sendRange(a, "node-b", 0, 300);
    await waitFor(() => a.linkStats()!.fallbacks >= 1, 5_000, "fallback");
    // the peer has an address: the latest payloads are kept for a replay on the direct link
    expect(a.links!.peer("node-b")!.pending).to.equal(300);
    await redis.hset(new RedisKeys(prefix).links, "node-b", real);
    let i = 300;
    while (a.links!.peer("node-b")!.connection === undefined) {
      await sendRange(a, "node-b", i, i + 10);
      i += 10;
      await new Promise((r) => setTimeout(r, 5));
    }
    await sendRange(a, "node-b", i, i + 300);
    i += 300;
    await waitFor(() => got.length >= i, 10_000, `${i} payloads`);
    expect(got).to.deep.equal(numbered(0, i));
    await waitFor(() => a.links!.peer("node-b")!.pending === 0, 5_000, "receipts");
  });

  it("close connections with a wrong secret, a wrong node id, garbage or an oversized frame, and keep working", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b] = [transport(prefix), transport(prefix)];
    const got = await inbox(b, "node-b");
    const address = await linkAddress(prefix, "node-b");
    const secret = Buffer.from((await redisClient().get(new RedisKeys(prefix).linkSecret))!, "hex");
    const from = randomBytes(8);
    const hello = (s: Buffer, target: string) => encodeHello({ secret: s, from, epoch: 1, target });
    await rawConnection(address, [hello(randomBytes(32), "node-b")]);
    await rawConnection(address, [hello(secret, "node-somewhere-else")]);
    await rawConnection(address, [randomBytes(5_000)]);
    await rawConnection(address, [Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]);
    await rawConnection(address, [Buffer.from([0, 0, 0, 0])]);
    const oversized = Buffer.alloc(5);
    oversized.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    await rawConnection(address, [hello(secret, "node-b"), oversized]);
    await rawConnection(address, [hello(secret, "node-b"), Buffer.from([0, 0, 0, 1, FrameType.HELLO])]);
    expect(b.linkStats()!.rejected).to.equal(7);
    await sendRange(a, "node-b", 0, 100);
    await waitFor(() => got.length >= 100, 5_000, "100 payloads");
    expect(got).to.deep.equal(numbered(0, 100));
    expect(a.linkStats()!.streamSent).to.equal(0);
  });

  it("deliver a raw peer's payloads once it said a valid hello", async () => {
    const prefix = uniquePrefix("dl");
    const b = transport(prefix);
    const got = await inbox(b, "node-b");
    const address = await linkAddress(prefix, "node-b");
    const secret = Buffer.from((await redisClient().get(new RedisKeys(prefix).linkSecret))!, "hex");
    const socket = netConnect(address);
    onCleanup(() => socket.destroy(), "raw socket");
    const frames: number[] = [];
    const reader = new FrameReader(64);
    socket.on("data", (c) => reader.push(c, (type) => frames.push(type) > 0));
    socket.write(encodeHello({ secret, from: randomBytes(8), epoch: 7, target: "node-b" }));
    // seq 2 before seq 1, and seq 1 twice: delivered as 1, 2
    for (const [seq, text] of [[2, "two"], [1, "one"], [1, "one"]] as const) {
      socket.write(encodeDataHeader(seq, text.length));
      socket.write(text);
    }
    await waitFor(() => got.length >= 2 && frames.includes(FrameType.RECEIPT), 5_000, "delivery and receipt");
    expect(got).to.deep.equal(["one", "two"]);
    expect(frames[0]).to.equal(FrameType.WELCOME);
  });

  it("use the stream when directLinks is off on the sender", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b] = [transport(prefix, false), transport(prefix)];
    const got = await inbox(b, "node-b");
    await sendRange(a, "node-b", 0, 300);
    await waitFor(() => got.length >= 300, 5_000, "300 payloads");
    expect(got).to.deep.equal(numbered(0, 300));
    expect(a.linkStats()).to.equal(undefined);
    expect(b.linkStats()!.directReceived).to.equal(0);
  });

  it("use the stream towards a peer that publishes no link address (directLinks off there)", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b] = [transport(prefix), transport(prefix, false)];
    const got = await inbox(b, "node-b");
    await sendRange(a, "node-b", 0, 300);
    await waitFor(() => got.length >= 300, 5_000, "300 payloads");
    expect(got).to.deep.equal(numbered(0, 300));
    expect(a.linkStats()!.streamSent).to.equal(300);
    expect(a.linkStats()!.directSent).to.equal(0);
    expect(await redisClient().hexists(new RedisKeys(prefix).links, "node-b")).to.equal(0);
  });

  it("use the stream when the peer's published address answers with another cluster's server (hello rejected)", async () => {
    const prefix = uniquePrefix("dl");
    const [a, b, stranger] = [transport(prefix), transport(prefix, false), transport(uniquePrefix("other"))];
    await inbox(stranger, "node-s");
    const redis = redisClient();
    const foreign = await waitFor(() => redis.hget(new RedisKeys(stranger.prefix).links, "node-s"), 5_000, "foreign address");
    // an address left behind by node-b's predecessor, now served by a process of another cluster
    await redis.hset(new RedisKeys(prefix).links, "node-b", foreign);
    const got = await inbox(b, "node-b");
    await sendRange(a, "node-b", 0, 200);
    await waitFor(() => got.length >= 200, 5_000, "200 payloads");
    expect(got).to.deep.equal(numbered(0, 200));
    expect(a.linkStats()!.fallbacks).to.be.greaterThan(0);
    expect(stranger.linkStats()!.rejected).to.be.greaterThan(0);
  });

  it("are on by default with Redis, off with SOCKET_IO_CLUSTER_DIRECT_LINKS=0 or directLinks: false, absent in memory", async () => {
    const links = (opts: Parameters<typeof resolveClusterOptions>[0]) => {
      const t = resolveClusterOptions(opts).transport;
      onCleanup(() => t.close(), "transport");
      return t instanceof RedisTransport ? t.links !== undefined : "memory";
    };
    expect(links({ redis: redisUrl() })).to.equal(true);
    expect(links({ redis: redisUrl(), directLinks: false })).to.equal(false);
    expect(links({})).to.equal("memory");
    const saved = process.env.SOCKET_IO_CLUSTER_DIRECT_LINKS;
    process.env.SOCKET_IO_CLUSTER_DIRECT_LINKS = "0";
    try {
      expect(links({ redis: redisUrl() })).to.equal(false);
      expect(links({ redis: redisUrl(), directLinks: true })).to.equal(true);
    } finally {
      if (saved === undefined) delete process.env.SOCKET_IO_CLUSTER_DIRECT_LINKS;
      else process.env.SOCKET_IO_CLUSTER_DIRECT_LINKS = saved;
    }
  });

  it("listen and advertise on the loopback interface unless told otherwise", async () => {
    expect(advertisedHost({})).to.equal("127.0.0.1");
    expect(advertisedHost({ host: "127.0.0.2" })).to.equal("127.0.0.2");
    expect(advertisedHost({ host: "0.0.0.0", advertise: "10.1.2.3" })).to.equal("10.1.2.3");
    const prefix = uniquePrefix("dl");
    const b = transport(prefix);
    await inbox(b, "node-b");
    expect((await linkAddress(prefix, "node-b")).host).to.equal("127.0.0.1");
  });

  it("remove the published address on close and on dropInbox", async () => {
    const prefix = uniquePrefix("dl");
    const [b, c] = [transport(prefix), transport(prefix)];
    await inbox(b, "node-b");
    await inbox(c, "node-c");
    const redis = redisClient();
    expect(await redis.hexists(new RedisKeys(prefix).links, "node-b")).to.equal(1);
    await b.close();
    await waitFor(async () => (await redis.hexists(new RedisKeys(prefix).links, "node-b")) === 0, 5_000, "address removed on close");
    await c.dropInbox("node-c");
    expect(await redis.hexists(new RedisKeys(prefix).links, "node-c")).to.equal(0);
  });

  it("free a SIGKILLed peer's link when dropInbox declares it dead, and never block on it", async () => {
    const prefix = uniquePrefix("dl");
    const a = transport(prefix);
    const peer = await spawnNode("link-receiver", { REDIS_URL: redisUrl(), PREFIX: prefix, NODE_ID: "node-k" });
    onCleanup(() => peer.kill(), "peer process");
    await sendRange(a, "node-k", 0, 100);
    await waitFor(() => a.links!.peer("node-k")?.connection, 5_000, "direct link open");
    await peer.kill("SIGKILL");
    // connects are refused now: the link falls back to the stream and keeps nothing in memory
    await sendRange(a, "node-k", 100, 200);
    await waitFor(() => a.linkStats()!.fallbacks >= 1, 5_000, "fallback");
    // kept (bounded) for a replay should the link come back, until the peer is declared dead
    expect(a.links!.peer("node-k")!.pending).to.be.greaterThan(0);
    await a.dropInbox("node-k");
    expect(a.links!.peer("node-k")).to.equal(undefined);
    const redis = redisClient();
    expect(await redis.hexists(new RedisKeys(prefix).links, "node-k")).to.equal(0);
    expect(await redis.exists(new RedisKeys(prefix).inbox("node-k"))).to.equal(0);
  });
});

describe("direct links tell a peer whose process ended", function () {
  this.timeout(20_000);

  it("a SIGKILLed peer is reported gone (its address refuses connections); a live peer whose link is cut is not", async () => {
    const prefix = uniquePrefix("gone");
    const a = transport(prefix);
    const live = transport(prefix);
    await live.listen("node-live", () => undefined);
    const peer = await spawnNode("link-receiver", { REDIS_URL: redisUrl(), PREFIX: prefix, NODE_ID: "node-k" });
    onCleanup(() => peer.kill(), "peer process");
    const gone: string[] = [];
    a.onPeerGone((nodeId) => gone.push(nodeId));
    await sendRange(a, "node-k", 0, 10);
    await sendRange(a, "node-live", 0, 10);
    await waitFor(() => a.links!.peer("node-k")?.connection && a.links!.peer("node-live")?.connection, 5_000, "direct links open");
    expect(a.peerGone("node-k"), "before the kill").to.equal(false);

    // a cut of a live peer's connection: the link comes back, the peer is not gone
    a.links!.peer("node-live")!.connection!.destroy();
    await sendRange(a, "node-live", 10, 20);
    await waitFor(() => a.links!.peer("node-live")?.connection, 5_000, "link to the live peer back");
    await peer.kill("SIGKILL");
    await waitFor(() => gone.length > 0, 5_000, "the killed peer reported gone");
    expect(gone).to.deep.equal(["node-k"]);
    expect(a.peerGone("node-k")).to.equal(true);
    expect(a.peerGone("node-live")).to.equal(false);
    expect(a.peerGone("node-never-linked")).to.equal(false);
  });
});

/** A redis-server of the test's own, to be killed. */
async function ownRedis(): Promise<{ url: string; kill(): Promise<void> }> {
  const port = await new Promise<number>((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
  const proc = spawn("redis-server", ["--port", String(port), "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await exited;
  };
  onCleanup(kill, "own redis-server");
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { retryStrategy: () => 50, maxRetriesPerRequest: null });
  probe.on("error", () => undefined);
  await probe.ping();
  probe.disconnect();
  return { url, kill };
}

describe("direct links and a Redis that goes away", function () {
  this.timeout(20_000);

  it("keep carrying payloads, and come back after a cut, with Redis down", async () => {
    const redis = await ownRedis();
    const prefix = uniquePrefix("dl-outage");
    const make = () => {
      const t = new RedisTransport(redis.url, prefix);
      onCleanup(() => t.close(), "transport");
      return t;
    };
    const [a, b] = [make(), make()];
    const got = await inbox(b, "node-b");
    await sendRange(a, "node-b", 0, 100);
    await waitFor(() => a.links!.peer("node-b")!.connection && got.length >= 100, 5_000, "link open");
    await redis.kill();
    await sendRange(a, "node-b", 100, 1_000, (i) => {
      if (i === 500) a.links!.peer("node-b")!.connection?.destroy();
    });
    await waitFor(() => got.length >= 1_000, 10_000, "1000 payloads");
    expect(got).to.deep.equal(numbered(0, 1_000));
    expect(a.linkStats()!.streamSent).to.equal(0);
  });
});

describe("direct links between an io-node and an app-node", function () {
  this.timeout(20_000);

  it("carry every relayed packet, once, with nothing in the inbox streams, even when the links are cut", async () => {
    const prefix = uniquePrefix("dl-split");
    const [appTransport, ioTransport] = [transport(prefix), transport(prefix)];
    const app = track(new Server({ cluster: { transport: appTransport, prefix, ...FAST } }), "app-node");
    let calls = 0;
    app.on("connection", (socket) => socket.on("echo", (x: number, ack: (y: number) => void) => (calls++, ack(x))));
    const ioNode = track(createIoNode({ port: 0, transport: ioTransport, prefix, ...FAST }), "io-node");
    await Promise.all([app.ready(), ioNode.ready()]);
    await waitFor(() => aliveApps(ioNode).length === 1, 5_000, "io-node to see the app-node");
    const client = await connectClient(`http://${ioNode.address()}`, { transports: ["websocket"] });
    const acks: number[] = [];
    for (let i = 0; i < 300; i++) {
      if (i === 100) (await appTransport.links!.acceptedSockets()).forEach((s) => s.destroy());
      if (i === 200) (await ioTransport.links!.acceptedSockets()).forEach((s) => s.destroy());
      acks.push(await client.emitWithAck("echo", i));
    }
    expect(acks).to.deep.equal(Array.from({ length: 300 }, (_, i) => i));
    expect(calls).to.equal(300);
    expect(ioTransport.linkStats()!.directSent).to.be.greaterThan(300);
    expect(appTransport.linkStats()!.directSent).to.be.greaterThan(300);
    const redis = redisClient();
    for (const id of [app.cluster.appNodeId, ioNode.id]) {
      expect(await redis.exists(new RedisKeys(prefix).inbox(id))).to.equal(0);
    }
  });
});

describe("direct link parts", () => {
  it("FrameReader cuts frames fed one byte at a time", () => {
    const frames = Buffer.concat([encodeDataHeader(1, 3), Buffer.from("abc"), encodeDataHeader(2, 0)]);
    const reader = new FrameReader(1024);
    const seen: string[] = [];
    for (let i = 0; i < frames.length; i++) {
      expect(reader.push(frames.subarray(i, i + 1), (type, body) => seen.push(`${type}:${body.subarray(6)}`) > 0)).to.equal(null);
    }
    expect(seen).to.deep.equal([`${FrameType.DATA}:abc`, `${FrameType.DATA}:`]);
  });

  it("InboxSequencer drops duplicates, reorders, restarts on a new epoch and ignores a retired one", () => {
    const got: string[] = [];
    const s = new InboxSequencer("n", (p) => got.push(p.toString()));
    onCleanup(() => s.close());
    const p = (x: string) => Buffer.from(x);
    s.accept("f", 1, 2, p("b"));
    s.accept("f", 1, 1, p("a"));
    s.accept("f", 1, 1, p("a"));
    s.accept("f", 1, 3, p("c"));
    s.accept("f", 2, 1, p("x"));
    s.accept("f", 1, 4, p("late"));
    s.accept("g", 9, 1, p("other"));
    expect(got).to.deep.equal(["a", "b", "c", "x", "other"]);
    expect(s.lastDelivered("f", 2)).to.equal(1);
  });
});

describe("FrameReader", () => {
  it("cuts the same frames whatever the chunk boundaries", () => {
    const payloads = Array.from({ length: 50 }, (_, i) => randomBytes(i * 37));
    const wire = Buffer.concat(payloads.flatMap((p, i) => [encodeDataHeader(i + 1, p.length), p]));
    for (const cut of [1, 2, 3, 5, 7, 64, 1000, wire.length]) {
      const reader = new FrameReader(1 << 20);
      const seen: Buffer[] = [];
      for (let i = 0; i < wire.length; i += cut) {
        expect(reader.push(wire.subarray(i, i + cut), (type, body) => seen.push(Buffer.from(body.subarray(6))) > 0)).to.equal(null);
      }
      expect(seen.length).to.equal(50);
      seen.forEach((b, i) => expect(b.equals(payloads[i])).to.equal(true));
    }
  });
});
