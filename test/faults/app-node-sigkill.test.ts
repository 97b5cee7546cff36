import { duplicateBound, expectNothingLost, runFault } from "./harness";

describe("fault: app-node SIGKILL under load", function () {
  this.timeout(20_000);

  it("re-homes the dead app-node's connections: every client event handled, every broadcast delivered, nobody disconnected", async () => {
    const { figures } = await runFault({
      name: "app-node SIGKILL",
      // the owner of the broadcasting client: the stream itself must survive the death
      fault: async (topo, load) => topo.stopApp(topo.app(await load.driverOwner()), "SIGKILL"),
    });
    expectNothingLost(figures, duplicateBound(figures));
  });
});
