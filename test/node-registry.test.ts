import { expect } from "chai";
import { NodeRecord, NodeRegistry } from "../src/cluster/node-registry";
import { MemoryTransport } from "../src/transport/memory";
import { once, times } from "./helpers/wait";

function registry(transport: MemoryTransport, id: string, role: "io" | "app", opts = { heartbeatInterval: 50, nodeTimeout: 400 }) {
  return new NodeRegistry(transport, () => ({ id, role, connections: 0, messages: 0 }), opts);
}


describe("node registry", () => {
  const started: NodeRegistry[] = [];
  const transports: MemoryTransport[] = [];
  function transport(prefix: string): MemoryTransport {
    const t = new MemoryTransport(prefix);
    transports.push(t);
    return t;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((r) => r.stop()));
    await Promise.all(transports.splice(0).map((t) => t.close()));
  });

  it("sees peers come up and go down when their heartbeat stops", async () => {
    const a = registry(transport("reg1"), "a", "io");
    const b = registry(transport("reg1"), "b", "app");
    started.push(a, b);
    const downs: NodeRecord[] = [];
    a.on("down", (r: NodeRecord) => downs.push(r));
    await a.start();
    await b.start();
    await a.poll();
    expect(a.alive("app").map((r) => r.id)).to.deep.equal(["b"]);
    // b stops beating without a word (a crash): a notices after the timeout, not before
    (b as unknown as { timer: NodeJS.Timeout }).timer && clearInterval((b as unknown as { timer: NodeJS.Timeout }).timer);
    // a's next read of the registry sees b's record standing still, and b is not dead yet
    await once(a, "polled");
    expect(downs).to.have.length(0);
    await once(a, "down", { timeout: 2_000, what: "b to be judged dead" });
    expect(downs.map((r) => r.id)).to.deep.equal(["b"]);
  });

  it("a node that leaves is down at once", async () => {
    const a = registry(transport("reg2"), "a", "io", { heartbeatInterval: 1000, nodeTimeout: 5000 });
    const b = registry(transport("reg2"), "b", "app", { heartbeatInterval: 1000, nodeTimeout: 5000 });
    started.push(a);
    await a.start();
    await b.start();
    await a.poll();
    const down = new Promise<NodeRecord>((resolve) => a.once("down", resolve));
    await b.stop();
    expect((await down).id).to.equal("b");
  });

  it("a registry emptied under its feet (Redis restarted) kills nobody before the timeout", async () => {
    const t = transport("reg3");
    const a = registry(t, "a", "io");
    const b = registry(transport("reg3"), "b", "app");
    started.push(a, b);
    await a.start();
    await b.start();
    await a.poll();
    const downs: string[] = [];
    a.on("down", (r: NodeRecord) => downs.push(r.id));
    await t.removeNode("b");
    await a.poll();
    expect(downs).to.deep.equal([]);
    // b's next heartbeat writes its record again and it stays alive: b beats before each of its
    // reads, so its second read after the removal follows a heartbeat written after it
    await times(b, "polled", 2);
    await a.poll();
    expect(downs).to.deep.equal([]);
    expect(a.isAlive("b")).to.equal(true);
  });

  it("ignores garbage records and stale records of long-dead nodes", async () => {
    const t = transport("reg4");
    await t.putNode("junk", "{not json");
    await t.putNode("liar", JSON.stringify({ id: "someone-else", role: "app", seq: 1, at: Date.now() }));
    await t.putNode("old", JSON.stringify({ id: "old", role: "app", seq: 1, at: Date.now() - 60_000, connections: 0, messages: 0 }));
    const a = registry(t, "a", "io");
    started.push(a);
    await a.start();
    expect(a.alive().map((r) => r.id)).to.deep.equal(["a"]);
  });
});
