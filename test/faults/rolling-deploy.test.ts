import { expect } from "chai";
import { duplicateBound, expectNothingLost, runFault } from "./harness";

describe("fault: a rolling deploy of every app-node, under load", function () {
  this.timeout(25_000);

  it("restarts the app-nodes one by one (SIGTERM: hand-over, then a new one): nothing lost, nobody disconnected", async () => {
    const { topo, figures } = await runFault({
      name: "rolling deploy",
      appEnv: { RECOVERY: "1", HANDOVER: "1" },
      fault: async (topo) => {
        for (const old of [...topo.apps]) {
          await topo.stopApp(old, "SIGTERM");
          await topo.waitUntilServing(await topo.startApp());
        }
      },
    });
    expect(topo.apps, "app-nodes running at the end").to.have.length(2);
    expectNothingLost(figures, duplicateBound(figures));
  });
});
