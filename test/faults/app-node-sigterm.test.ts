import { expect } from "chai";
import { duplicateBound, runFault } from "./harness";

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
    expect(figures.streamResumed, "the broadcast stream went on at every client").to.equal(true);
    expect(figures.events.lost, "client events never handled").to.equal(0);
    expect(figures.events.acked, "client events acked").to.equal(figures.events.sent);
    expect(figures.events.duplicated, "extra handler runs").to.be.at.most(duplicateBound(figures));
    expect(figures.broadcasts.lost, "broadcast deliveries lost").to.equal(0);
    expect(figures.clientsDisconnected, "clients that saw a disconnect").to.equal(0);
  });
});
