import { expect } from "chai";
import { duplicateBound, runFault } from "./harness";

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
    expect(topo.apps).to.have.length(2);
    expect(figures.streamResumed, "the broadcast stream went on at every client").to.equal(true);
    expect(figures.events.lost, "client events never handled").to.equal(0);
    expect(figures.events.acked, "client events acked").to.equal(figures.events.sent);
    expect(figures.events.duplicated, "extra handler runs").to.be.at.most(duplicateBound(figures));
    expect(figures.broadcasts.lost, "broadcast deliveries lost").to.equal(0);
    expect(figures.clientsDisconnected, "clients that saw a disconnect").to.equal(0);
  });
});
