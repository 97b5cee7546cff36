/**
 * The Socket.IO server API across a cluster: acknowledgements. 2 io-nodes and 2 app-nodes (see ./harness.ts).
 */
import { expect } from "chai";
import { cluster, find, spread } from "./harness";

describe("cluster API: acknowledgements", function () {
  this.timeout(15_000);

  it("acks client → server, with any payload", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const payload = { s: "héllo 👋", n: [1, 2.5, null], nested: { ok: true } };
    for (const p of placed) expect(await p.client.emitWithAck("echo", payload)).to.deep.equal(payload);
    const viaCallback = await new Promise((resolve) => placed[1].client.emit("echo", "cb", resolve));
    expect(viaCallback).to.equal("cb");
  });

  it("acks server → client: emitWithAck, and timeout() when the client does not answer", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4, {});
    for (const p of placed) {
      p.client.on("question", (q: string, cb: (a: string) => void) => cb(`answer to ${q}`));
      p.client.on("ignored", () => undefined);
    }
    for (const p of placed) {
      const socket = fx.serverSocket(p.client.id!);
      expect(await socket.emitWithAck("question", "life")).to.equal("answer to life");
      expect(await socket.timeout(2_000).emitWithAck("question", "x")).to.equal("answer to x");
      const err = await socket
        .timeout(150)
        .emitWithAck("ignored")
        .then(
          () => undefined,
          (e: Error) => e,
        );
      expect(err).to.be.instanceOf(Error);
      expect(err!.message).to.equal("operation has timed out");
    }
  });

  it("io.timeout().emit collects every client's answer across app-nodes and io-nodes", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    for (const [i, p] of placed.entries()) p.client.on("vote", (cb: (v: string) => void) => cb(`client ${i}`));
    for (const io of fx.apps) {
      const responses = await io.timeout(5_000).emitWithAck("vote");
      expect([...responses].sort()).to.deep.equal(["client 0", "client 1", "client 2", "client 3"]);
    }
    const viaCallback = await new Promise<[Error | null, unknown[]]>((resolve) =>
      fx.apps[1].timeout(5_000).emit("vote", (err: Error | null, res: unknown[]) => resolve([err, res])),
    );
    expect(viaCallback[0]).to.equal(null);
    expect(viaCallback[1]).to.have.length(4);
  });

  it("io.timeout().emit reports a timeout when a remote client does not answer, with the answers it got", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const silent = find(placed, 1);
    for (const p of placed) if (p.client !== silent) p.client.on("vote", (cb: (v: string) => void) => cb("yes"));
    const [err, responses] = await new Promise<[Error | null, unknown[]]>((resolve) =>
      fx.apps[0].timeout(1_500).emit("vote", (e: Error | null, r: unknown[]) => resolve([e, r])),
    );
    expect(err).to.be.instanceOf(Error);
    expect(responses).to.deep.equal(["yes", "yes", "yes"]);
  });

  it("broadcast acks with nobody to answer resolve with no responses, as in plain socket.io", async () => {
    const fx = await cluster();
    await spread(fx, 2);
    expect(await fx.apps[0].to("empty-room").timeout(3_000).emitWithAck("anyone")).to.deep.equal([]);
    expect(await fx.apps[1].of("/").to("empty-room").timeout(3_000).emitWithAck("anyone")).to.deep.equal([]);
  });
});
