import { expect } from "chai";
import type { NodeRecord } from "../src/cluster/node-registry";
import { OwnerPicker } from "../src/io-node/owner-picker";

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
