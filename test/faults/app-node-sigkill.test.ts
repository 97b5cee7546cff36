import { expect } from "chai";
import { duplicateBound, runFault } from "./harness";

describe("fault: app-node SIGKILL under load", function () {
  this.timeout(20_000);

  it("re-homes the dead app-node's connections: every client event handled, every broadcast delivered, nobody disconnected", async () => {
    const { figures } = await runFault({
      name: "app-node SIGKILL",
      // the owner of the broadcasting client: the stream itself must survive the death
      fault: async (topo, load) => topo.stopApp(topo.app(await load.driverOwner()), "SIGKILL"),
    });
    expect(figures.streamResumed, "the broadcast stream went on at every client").to.equal(true);
    expect(figures.events.lost, "client events never handled").to.equal(0);
    expect(figures.events.acked, "client events acked").to.equal(figures.events.sent);
    expect(figures.events.duplicated, "extra handler runs").to.be.at.most(duplicateBound(figures));
    expect(figures.broadcasts.lost, "broadcast deliveries lost").to.equal(0);
    expect(figures.clientsDisconnected, "clients that saw a disconnect").to.equal(0);
  });
});
