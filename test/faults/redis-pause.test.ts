import { expect } from "chai";
import { delay, onCleanup } from "../helpers";
import { OwnRedis } from "../helpers/redis-server";
import { runFault } from "./harness";

describe("fault: Redis paused for 5 s under load", function () {
  this.timeout(25_000);

  it("keeps every connection; client events and broadcasts all arrive", async () => {
    const redis = await OwnRedis.start();
    onCleanup(() => redis.kill(), "own redis-server");
    const { figures } = await runFault({
      name: "Redis paused 5 s",
      redis: redis.url,
      fault: async () => {
        redis.pause(); // SIGSTOP: connections stay open, nothing answers
        await delay(5_000); // the fault's length, not a wait for anything
        redis.resume();
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
