import { expectNothingLost, ownRedis, runFault } from "./harness";

describe("fault: Redis killed and restarted empty under load", function () {
  this.timeout(25_000);

  it("keeps every connection; client events and broadcasts all arrive, none twice", async () => {
    const redis = await ownRedis();
    const { figures } = await runFault({
      name: "Redis restarted empty",
      redis: redis.url,
      fault: async () => {
        await redis.kill();
        await redis.restart(); // same port, no data: registry, presence and sessions are gone
      },
    });
    expectNothingLost(figures, 0);
  });
});
