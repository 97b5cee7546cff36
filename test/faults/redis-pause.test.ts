import { delay } from "../helpers";
import { expectNothingLost, ownRedis, runFault } from "./harness";

describe("fault: Redis paused for 5 s under load", function () {
  this.timeout(25_000);

  it("keeps every connection; client events and broadcasts all arrive, none twice", async () => {
    const redis = await ownRedis();
    const { figures } = await runFault({
      name: "Redis paused 5 s",
      redis: redis.url,
      fault: async () => {
        redis.pause(); // SIGSTOP: connections stay open, nothing answers
        await delay(5_000); // the fault's length, not a wait for anything
        redis.resume();
      },
    });
    expectNothingLost(figures, 0);
  });
});
