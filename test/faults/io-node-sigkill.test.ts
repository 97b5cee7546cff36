import { expect } from "chai";
import { waitFor } from "../helpers";
import { duplicateBound, runFault } from "./harness";
import type { LoadClient } from "./load-client";
import { record } from "./results";

describe("fault: io-node SIGKILL under load", function () {
  this.timeout(20_000);

  it("its clients reconnect to the other io-node with their sessions: every event sent after the disconnect is handled, no broadcast lost anywhere", async () => {
    let moved: LoadClient[] = [];
    let stayed: LoadClient[] = [];
    const { load, figures } = await runFault({
      name: "io-node SIGKILL",
      // 1.5 s: past the moment the app-nodes notice the dead io-node (nodeTimeout + heartbeat)
      afterTicks: 75,
      streamAt: () => [...moved, ...stayed],
      fault: async (topo, load) => {
        const dead = topo.ioNodes[0];
        moved = load.clients.filter((c) => c.socket.cluster.server?.url === `http://${dead.address}`);
        stayed = load.clients.filter((c) => !moved.includes(c));
        await dead.kill("SIGKILL");
        // the client helper fails over to the other io-node, where the session is restored
        await waitFor(() => moved.every((c) => c.reconnects > 0 && c.socket.connected && c.inRoom), 10_000, "moved clients back");
      },
    });
    const movedFigures = load.figures("io-node SIGKILL: the clients that moved", moved);
    const stayedFigures = load.figures("io-node SIGKILL: the other clients", stayed);
    record(movedFigures);

    expect(moved, "clients on the dead io-node").to.have.length(load.clients.length / 2);
    expect(figures.streamResumed, "the stream went on").to.equal(true);
    expect(movedFigures.disconnects, "one disconnect per moved client").to.equal(moved.length);
    expect(movedFigures.reconnects, "one reconnection per moved client").to.equal(moved.length);
    expect(stayedFigures.clientsDisconnected, "clients of the living io-node that saw a disconnect").to.equal(0);
    // client events: only those in flight on the dead io-node may be lost (Socket.IO drops their
    // acks on disconnect); what the client sent or buffered after it is handled and acked
    expect(figures.events.ackedNotHandled, "events acked but never handled").to.equal(0);
    expect(figures.events.unackedAfterDisconnect, "events sent after the disconnect and never acked").to.equal(0);
    expect(figures.events.lost, "events lost").to.be.at.most(figures.events.pendingAtDisconnect);
    expect(figures.events.duplicated, "extra handler runs").to.be.at.most(duplicateBound(figures));
    expect(stayedFigures.broadcasts.lost, "broadcast deliveries lost at the other clients").to.equal(0);
    expect(movedFigures.recoveries, "moved clients whose session was restored").to.equal(moved.length);
    expect(movedFigures.broadcasts.lost, "broadcast deliveries lost at the moved clients").to.equal(0);
    const doubled = moved.filter((c) => [...c.ticks.values()].some((v) => v > 1)).map((c) => `${c.key}: ${c.trail.join(" ")}`);
    expect(movedFigures.broadcasts.duplicated, `broadcast deliveries doubled at the moved clients (what they saw: ${doubled.join("; ")})`).to.equal(0);
  });
});
