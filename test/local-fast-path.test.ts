/**
 * A co-located server (`new Server(httpServer, { cluster: { redis } })`) reaches its own io-node's
 * connections by function call, unless `localFastPath: false` (or
 * SOCKET_IO_CLUSTER_LOCAL_FAST_PATH=0) sends them through Redis as a remote io-node would. The
 * relay inboxes in Redis tell which path was taken.
 */
import { expect } from "chai";
import Redis from "ioredis";
import { Server, createIoNode } from "../src";
import type { ClusterOptions } from "../src";
import {
  aliveApps,
  connect,
  FAST,
  httpServer,
  once,
  onCleanup,
  portOf,
  redisUrl,
  track,
  uniquePrefix,
  waitFor,
  waitForPeers,
} from "./helpers";
import { RedisKeys } from "../src/transport/keys";

function redisClient(): Redis {
  const r = new Redis(redisUrl());
  onCleanup(() => r.quit().catch(() => r.disconnect()), "redis client");
  return r;
}

/** How many entries were ever added to a node's relay inbox (0 when it never existed). */
async function inboxEntries(redis: Redis, prefix: string, nodeId: string): Promise<number> {
  const key = new RedisKeys(prefix).inbox(nodeId);
  if (!(await redis.exists(key))) return 0;
  const info = (await redis.call("XINFO", "STREAM", key)) as unknown[];
  const i = info.indexOf("entries-added");
  if (i === -1) return Number(info[info.indexOf("length") + 1]);
  return Number(info[i + 1]);
}

function app(io: Server, label: string): void {
  io.on("connection", (socket) => {
    socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb({ x, by: label }));
    socket.on("transport", (cb: (t: string) => void) => cb(socket.conn.transport.name));
  });
}

/** A co-located server plus a second app-node (no HTTP server) in the same cluster. */
async function colocated(extra: Partial<ClusterOptions>, env?: Record<string, string>) {
  const prefix = uniquePrefix("fast");
  const cluster: ClusterOptions = { redis: redisUrl(), prefix, ...FAST, ...extra };
  const { server, url } = await httpServer();
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  let io: Server;
  try {
    io = track(new Server(server, { cluster }), "co-located server");
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  const second = track(new Server({ cluster }), "second app-node");
  app(io, "co-located");
  app(second, "second");
  await Promise.all([io.ready(), second.ready()]);
  await waitForPeers([io, second]);
  return { io, second, url, prefix, redis: redisClient() };
}

describe("co-located io-node: local fast path", () => {
  for (const [label, extra, env] of [
    // direct links off: these count the relayed packets in the inbox streams (direct-links.test.ts covers TCP)
    ["localFastPath: false", { localFastPath: false, directLinks: false }, undefined],
    ["SOCKET_IO_CLUSTER_LOCAL_FAST_PATH=0", { directLinks: false }, { SOCKET_IO_CLUSTER_LOCAL_FAST_PATH: "0" }],
  ] as const) {
    it(`${label}: the co-located connections go through Redis, and everything works`, async () => {
      const { io, second, url, prefix, redis } = await colocated(extra, env);
      let upgraded!: Promise<unknown>;
      const client = await connect(url, {}, (c) => (upgraded = once(c.io.engine, "upgrade")));
      expect(await client.emitWithAck("echo", 1)).to.deep.equal({ x: 1, by: "co-located" });
      // the packets of this connection were relayed through the inboxes in Redis, both ways
      expect(await inboxEntries(redis, prefix, io.cluster.appNodeId)).to.be.greaterThan(0);
      expect(await inboxEntries(redis, prefix, io.cluster.ioNodeId!)).to.be.greaterThan(0);
      // the other app-node sees the socket and reaches it
      const sockets = await second.fetchSockets();
      expect(sockets.map((s) => s.id)).to.deep.equal([client.id]);
      const got = once(client, "from-second");
      second.emit("from-second", "hi");
      expect(await got).to.deep.equal(["hi"]);
      // the upgrade to websocket is relayed too
      await upgraded;
      await waitFor(async () => (await client.emitWithAck("transport")) === "websocket", 5_000, "the server to see the upgrade");
      expect(await client.emitWithAck("echo", "after upgrade")).to.deep.equal({ x: "after upgrade", by: "co-located" });
    });
  }

  it("with the fast path (default) the co-located connections never touch Redis, and everything works", async () => {
    const { io, second, url, prefix, redis } = await colocated({});
    const client = await connect(url);
    for (let i = 0; i < 3; i++) expect(await client.emitWithAck("echo", i)).to.deep.equal({ x: i, by: "co-located" });
    expect(await inboxEntries(redis, prefix, io.cluster.appNodeId)).to.equal(0);
    // the other app-node still sees and reaches the socket (its writes go through Redis)
    expect((await second.fetchSockets()).map((s) => s.id)).to.deep.equal([client.id]);
    const got = once(client, "from-second");
    second.emit("from-second", "hi");
    expect(await got).to.deep.equal(["hi"]);
    const local = once(client, "from-local");
    io.emit("from-local", "hey");
    expect(await local).to.deep.equal(["hey"]);
  });

  it("a co-located server also owns connections of a standalone io-node", async () => {
    const prefix = uniquePrefix("mixed");
    const cluster: ClusterOptions = { redis: redisUrl(), prefix, ...FAST };
    const { server, url } = await httpServer();
    const io = track(new Server(server, { cluster }));
    app(io, "co-located");
    const node = track(createIoNode({ port: 0, ...cluster }));
    await Promise.all([io.ready(), node.ready()]);
    await waitFor(() => aliveApps(node).includes(io.cluster.appNodeId), 5_000, "the io-node to see the app-node");
    const remote = await connect(`http://127.0.0.1:${await portOf(node.httpServer)}`);
    const direct = await connect(url);
    expect(await remote.emitWithAck("echo", "r")).to.deep.equal({ x: "r", by: "co-located" });
    expect(await direct.emitWithAck("echo", "d")).to.deep.equal({ x: "d", by: "co-located" });
    const ids = (await io.fetchSockets()).map((s) => s.id).sort();
    expect(ids).to.deep.equal([remote.id, direct.id].sort());
    const both = [once(remote, "all"), once(direct, "all")];
    io.emit("all", 1);
    expect(await Promise.all(both)).to.deep.equal([[1], [1]]);
  });
});
