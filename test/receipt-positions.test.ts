import { expect } from "chai";
import { ReceiptPositions } from "../src/cluster/receipt-positions";
import { EpochChecks } from "../src/app-node/epoch-checks";
import { Batch, FrameType, PROTOCOL_VERSION } from "../src/protocol/frame";

function batch(from: string, epoch: number, seq: number, frames: Batch["frames"] = []): Batch {
  return { version: PROTOCOL_VERSION, from, epoch, seq, frames };
}

describe("receipt positions and epoch checks", () => {
  it("drop a batch received already, per sender; a new epoch starts the count again", () => {
    const positions = new ReceiptPositions();
    expect(positions.accept("io-1", 7, 1)).to.equal(true);
    expect(positions.accept("io-1", 7, 2)).to.equal(true);
    expect(positions.accept("io-1", 7, 2)).to.equal(false);
    expect(positions.accept("io-1", 7, 1)).to.equal(false);
    expect(positions.accept("io-2", 7, 1), "another sender has its own position").to.equal(true);
    expect(positions.accept("io-1", 9, 1), "a re-created link").to.equal(true);
    expect(positions.last("io-1")).to.equal(1);
    positions.forget("io-1");
    expect(positions.last("io-1")).to.equal(0);
  });

  it("after a doubt, hold an io-node's batches until it answers for their epoch", () => {
    const handled: string[] = [];
    const asked: Array<[string, number]> = [];
    const revoked: string[] = [];
    const checks = new EpochChecks({
      ask: (io, epoch) => asked.push([io, epoch]),
      handle: (b) => handled.push(`${b.from}:${b.epoch}:${b.seq}`),
      revoked: (io) => revoked.push(io),
    });
    checks.take(batch("io-1", 5, 1));
    expect(handled).to.deep.equal(["io-1:5:1"]);

    checks.doubt();
    checks.take(batch("io-1", 5, 2));
    checks.take(batch("io-1", 5, 3));
    checks.take(batch("io-2", 8, 1));
    expect(handled, "nothing handled while the answers are out").to.deep.equal(["io-1:5:1"]);
    expect(asked).to.deep.equal([["io-1", 5], ["io-2", 8]]);

    // io-1 re-homed epoch 5 and answers on its new link: epoch 5 is dropped, the new one handled
    checks.take(batch("io-1", 6, 1, [{ type: FrameType.EPOCH_STATUS, epoch: 5, current: false }]));
    expect(revoked).to.deep.equal(["io-1"]);
    expect(handled).to.deep.equal(["io-1:5:1", "io-1:6:1"]);
    expect(checks.dropped).to.equal(2);

    // io-2 stands by epoch 8: what waited is handled first, in order
    checks.take(batch("io-2", 8, 2, [{ type: FrameType.EPOCH_STATUS, epoch: 8, current: true }]));
    expect(handled).to.deep.equal(["io-1:5:1", "io-1:6:1", "io-2:8:1", "io-2:8:2"]);
    checks.take(batch("io-2", 8, 3));
    expect(handled.at(-1), "confirmed: no more waiting").to.equal("io-2:8:3");
    expect(asked).to.have.length(2);
  });
});
