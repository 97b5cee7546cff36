import { expect } from "chai";
import { randomBytes } from "crypto";
import { NodeRecord, NodeRegistry } from "../src/cluster/node-registry";
import { OwnerPicker } from "../src/io-node/owner-picker";
import { MemoryTransport } from "../src/transport/memory";
import { onCleanup, once } from "./helpers";

function app(id: string, connections?: number): NodeRecord {
  return { id, role: "app", connections } as NodeRecord;
}

describe("owner picker", () => {
  it("picks nobody when no app-node is alive, with either strategy", () => {
    expect(new OwnerPicker("round-robin").pick([])).to.equal(undefined);
    expect(new OwnerPicker("least-loaded").pick([])).to.equal(undefined);
  });

  it("round-robin walks the app-nodes in turn, whatever order the registry lists them in", () => {
    const picker = new OwnerPicker("round-robin");
    const picks = Array.from({ length: 6 }, (_, i) => picker.pick(i % 2 ? [app("b"), app("a"), app("c")] : [app("c"), app("b"), app("a")]));
    const start = ["a", "b", "c"].indexOf(picks[0]!);
    expect(picks).to.deep.equal(Array.from({ length: 6 }, (_, i) => ["a", "b", "c"][(start + i) % 3]));
  });

  it("least-loaded takes the fewest connections, counting what it handed out since the last heartbeat", () => {
    const picker = new OwnerPicker("least-loaded");
    const apps = [app("a", 3), app("b", 1)];
    expect([picker.pick(apps), picker.pick(apps), picker.pick(apps)]).to.deep.equal(["b", "b", "a"]);
    // b's heartbeat now says 3 (its two new ones): a and b are even again, a has one handed out
    picker.refreshed("b");
    expect(picker.pick([app("a", 3), app("b", 3)])).to.equal("b");
  });

  it("least-loaded does not throw on a record without a load (a client before the first registry read)", () => {
    const picker = new OwnerPicker("least-loaded");
    expect(picker.pick([app("local")])).to.equal("local");
    expect(picker.pick([app("local"), app("other", 0)])).to.equal("other");
  });
});

describe("owner picker fed by the registry over the memory transport", () => {
  const TIMINGS = { heartbeatInterval: 50, nodeTimeout: 400 };

  /** App-nodes beating with the loads in `loads` (read at each heartbeat) and the io-node's view of them. */
  async function registries(loads: Record<string, number>) {
    const prefix = `picker-${randomBytes(4).toString("hex")}`;
    const start = async (id: string, role: "io" | "app") => {
      const transport = new MemoryTransport(prefix);
      const registry = new NodeRegistry(transport, () => ({ id, role, connections: loads[id] ?? 0, messages: 0 }), TIMINGS);
      onCleanup(async () => {
        await registry.stop();
        await transport.close();
      }, `registry ${id}`);
      await registry.start();
      return registry;
    };
    const apps = new Map<string, NodeRegistry>();
    for (const id of Object.keys(loads)) apps.set(id, await start(id, "app"));
    const io = await start("io", "io");
    await io.poll();
    return { io, apps };
  }

  it("least-loaded follows the loads the app-nodes' heartbeats report, as the io-node refreshes it", async () => {
    const loads = { a: 5, b: 0 };
    const { io } = await registries(loads);
    const picker = new OwnerPicker("least-loaded");
    // what the io-node does: a fresh heartbeat of an app-node counts what it holds now
    io.on("change", (r: NodeRecord) => r.role === "app" && picker.refreshed(r.id));
    expect([1, 2, 3].map(() => picker.pick(io.alive("app")))).to.deep.equal(["b", "b", "b"]);
    loads.b = 10;
    await once(io, "change", { match: (r: NodeRecord) => r.id === "b" && r.connections === 10, what: "b's heartbeat with its new load" });
    expect(picker.pick(io.alive("app"))).to.equal("a");
  });

  it("round-robin walks the live app-nodes; one that leaves leaves the ring", async () => {
    const { io, apps } = await registries({ a: 0, b: 0, c: 0 });
    const picker = new OwnerPicker("round-robin");
    const round = () => [1, 2, 3, 4].map(() => picker.pick(io.alive("app")));
    expect(new Set(round())).to.deep.equal(new Set(["a", "b", "c"]));
    const down = once<[NodeRecord]>(io, "down", { what: "c to leave" });
    await apps.get("c")!.stop();
    expect((await down)[0].id).to.equal("c");
    const picks = round();
    expect(new Set(picks)).to.deep.equal(new Set(["a", "b"]));
    expect(picks[0]).to.not.equal(picks[1]);
  });

  it("a connection handed over otherwise than by pick (a rebalancing move) counts toward the load", () => {
    const picker = new OwnerPicker("least-loaded");
    const apps = [app("a", 0), app("b", 1)];
    picker.handedTo("a");
    picker.handedTo("a");
    expect(picker.pick(apps)).to.equal("b");
    picker.refreshed("a");
    expect(picker.pick(apps)).to.equal("a");
  });
});
