import { duplicateBound, expectNothingLost, runFault } from "./harness";

describe("fault: app-node SIGTERM and a restarted app-node, under load", function () {
  this.timeout(20_000);

  it("hands the connections over at once and serves from the new app-node: nothing lost, nobody disconnected", async () => {
    const { figures } = await runFault({
      name: "app-node SIGTERM + restart",
      // the fixture calls io.handOver() on SIGTERM, then exits: a deploy
      appEnv: { RECOVERY: "1", HANDOVER: "1" },
      fault: async (topo, load) => {
        await topo.stopApp(topo.app(await load.driverOwner()), "SIGTERM");
        await topo.waitUntilServing(await topo.startApp());
      },
    });
    expectNothingLost(figures, duplicateBound(figures));
  });
});
