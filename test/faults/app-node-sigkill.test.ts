import { expect } from "chai";
import { runFault } from "./harness";

describe("fault: app-node SIGKILL under load", function () {
  this.timeout(20_000);

  it("re-homes the dead app-node's connections: every client event handled, every broadcast delivered, nobody disconnected", async () => {
    const { figures } = await runFault({
      name: "app-node SIGKILL",
      fault: (topo) => topo.stopApp(topo.apps[0], "SIGKILL"),
    });
    console.log(JSON.stringify(figures));
    expect(figures.streamResumed, "the broadcast stream went on at every client").to.equal(true);
    expect(figures.events.lost, "client events never handled").to.equal(0);
    expect(figures.events.acked, "client events acked").to.equal(figures.events.sent);
    expect(figures.broadcasts.lost, "broadcast deliveries lost").to.equal(0);
    expect(figures.clientsDisconnected).to.equal(0);
  });
});
