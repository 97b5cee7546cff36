import { expect } from "chai";
import { io as ioc, Socket as ClientSocket } from "socket.io-client";
import { createIoNode, IoNode, Server } from "../src";
import { delay } from "./helpers/wait";
import { OwnRedis } from "./helpers/redis-server";

describe("a Redis that goes away", function () {
  this.timeout(30_000);
  let redis: OwnRedis;
  let app: Server;
  let ioNode: IoNode;
  let client: ClientSocket;

  before(async () => {
    redis = await OwnRedis.start();
  });

  after(async () => {
    client?.disconnect();
    await app?.close();
    await ioNode?.close();
    await redis.kill();
  });

  it("nodes keep running while Redis is down and relay again, on the same client connection, when it is back", async () => {
    const url = `redis://127.0.0.1:${redis.port}`;
    const timings = { heartbeatInterval: 100, nodeTimeout: 1_000 };
    app = new Server({ cluster: { redis: url, prefix: "outage", ...timings } });
    app.on("connection", (s) => s.on("echo", (v, ack) => ack(v)));
    ioNode = createIoNode({ port: 0, redis: url, prefix: "outage", ...timings });
    await Promise.all([app.ready(), ioNode.ready()]);
    client = ioc(`http://${ioNode.address()}`, { reconnection: false });
    await new Promise<void>((resolve, reject) => client.once("connect", resolve).once("connect_error", reject));
    expect(await client.timeout(5_000).emitWithAck("echo", "before")).to.equal("before");
    const socketId = client.id;

    await redis.kill();
    // sent while Redis is away: it waits in the node's queue instead of being lost
    const during = client.timeout(20_000).emitWithAck("echo", "during");
    // the outage's length, not a wait for anything: longer than nodeTimeout on purpose
    await delay(1_500);
    await redis.restart();

    expect(await during).to.equal("during");
    expect(await client.timeout(5_000).emitWithAck("echo", "after")).to.equal("after");
    expect(client.id, "the socket survived: no node was declared dead").to.equal(socketId);
    expect(client.connected).to.equal(true);
  });
});
