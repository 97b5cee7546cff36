import { expect } from "chai";
import { onCleanup } from "../helpers";
import { OwnRedis } from "../helpers/redis-server";
import { runFault } from "./harness";

describe("fault: Redis killed and restarted empty under load", function () {
  this.timeout(25_000);

  it("keeps every connection; client events and broadcasts all arrive", async () => {
    const redis = await OwnRedis.start();
    onCleanup(() => redis.kill(), "own redis-server");
    const { figures } = await runFault({
      name: "Redis restarted empty",
      redis: redis.url,
      fault: async () => {
        await redis.kill();
        await redis.restart(); // same port, no data: registry, presence and sessions are gone
      },
    });
    expect(figures.streamResumed, "the broadcast stream went on at every client").to.equal(true);
    expect(figures.events.lost, "client events never handled").to.equal(0);
    expect(figures.events.acked, "client events acked").to.equal(figures.events.sent);
    expect(figures.events.duplicated, "extra handler runs").to.equal(0);
    expect(figures.broadcasts.lost, "broadcast deliveries lost").to.equal(0);
    expect(figures.clientsDisconnected, "clients that saw a disconnect").to.equal(0);
  });
});
