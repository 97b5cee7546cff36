/**
 * The relay links on their own, over the memory transport: the io-node's link to an app-node
 * (`RemoteAppLink`: batches, replay of what was not confirmed) and the app-node's link back
 * (`RemoteIoLink`: receipts, alone or riding along with a write). Each side reads its inbox as the
 * nodes do (`listenInbox`), so what is checked is what goes over the transport.
 */
import { expect } from "chai";
import { randomBytes } from "crypto";
import { listenInbox } from "../src/cluster/inbox";
import { RemoteAppLink } from "../src/io-node/app-link";
import { RemoteIoLink } from "../src/app-node/io-link";
import { Batch, Frame, FrameType, Handshake } from "../src/protocol/frame";
import { MemoryTransport } from "../src/transport/memory";
import { onCleanup, waitFor } from "./helpers";

const HANDSHAKE: Handshake = {
  protocol: 4,
  headers: {},
  url: "/socket.io/?EIO=4&transport=websocket",
  query: {},
  remoteAddress: "127.0.0.1",
  secure: false,
  transport: "websocket",
};

/**
 * The receipt calls of both links, in one place: the app-node confirms batches of an epoch up to
 * a seq, the io-node takes that confirmation.
 */
const receipts = {
  confirm: (link: RemoteIoLink, epoch: number, seq: number) => link.receipt(epoch, seq),
  take: (link: RemoteAppLink, epoch: number, seq: number) => link.receipt(epoch, seq),
};

/** A receipt frame: the one that carries both an epoch and a seq. */
function receiptIn(batch: Batch): { epoch: number; seq: number } | undefined {
  return batch.frames.find((f): f is Frame & { epoch: number; seq: number } => "epoch" in f && "seq" in f);
}

/** An io-node's link to "app-1" and the batches that reach app-1's inbox. */
async function ioToApp() {
  const { transport, inbox } = bus();
  const atApp = await inbox("app-1");
  return { transport, atApp, link: new RemoteAppLink(transport, "io-1", "app-1") };
}

/** A memory transport of its own, and an inbox per node id that records the batches it gets. */
function bus() {
  const transport = new MemoryTransport(`links-${randomBytes(4).toString("hex")}`);
  onCleanup(() => transport.close(), "memory transport");
  const inbox = async (nodeId: string): Promise<Batch[]> => {
    const got: Batch[] = [];
    await listenInbox(transport, nodeId, (b) => got.push(b));
    return got;
  };
  return { transport, inbox };
}

const dataOf = (batch: Batch) => batch.frames.map((f) => (f.type === FrameType.DATA ? f.data : FrameType[f.type]));

describe("relay links over the memory transport", () => {
  it("the io-node's link sends what one event-loop turn queued as one batch, in order, numbered per epoch", async () => {
    const { transport, atApp, link } = await ioToApp();
    link.open("c1", HANDSHAKE);
    link.data("c1", "0");
    link.data("c1", '2["a"]');
    link.data("c1", Buffer.from([1, 2, 3]));
    await waitFor(() => atApp.length === 1, { what: "the first batch" });
    expect(transport.stats.batchesSent).to.equal(1);
    const [first] = atApp;
    expect(first).to.include({ from: "io-1", epoch: link.epoch, seq: 1 });
    expect(dataOf(first)).to.deep.equal(["OPEN", "0", '2["a"]', Buffer.from([1, 2, 3])]);
    link.data("c1", '2["b"]');
    await waitFor(() => atApp.length === 2, { what: "the second batch" });
    expect(atApp[1]).to.include({ epoch: link.epoch, seq: 2 });
    expect(link.unreceiptedBatches, "both kept until the app-node confirms them").to.equal(2);
    // a re-created link is a new epoch: the receiver can tell its count started again
    const again = new RemoteAppLink(transport, "io-1", "app-1");
    expect(again.epoch).to.not.equal(link.epoch);
    again.data("c1", '2["c"]');
    await waitFor(() => atApp.length === 3, { what: "the batch of the new link" });
    expect(atApp[2]).to.include({ epoch: again.epoch, seq: 1 });
  });

  it("a receipt from the app-node frees the batches it confirms, and only those of its epoch", async () => {
    const { transport, inbox } = bus();
    const atApp = await inbox("app-1");
    const atIo = await inbox("io-1");
    const toApp = new RemoteAppLink(transport, "io-1", "app-1");
    const toIo = new RemoteIoLink(transport, "app-1", "io-1");
    onCleanup(() => toIo.close(), "io link");
    for (const data of ["0", '2["a"]', '2["b"]']) {
      toApp.data("c1", data);
      await waitFor(() => atApp.length > 0 && atApp[atApp.length - 1].frames.some((f) => f.type === FrameType.DATA && f.data === data));
    }
    expect(atApp.map((b) => b.seq)).to.deep.equal([1, 2, 3]);
    expect(toApp.unreceiptedBatches).to.equal(3);

    // nothing to write: the receipt goes alone, a little later
    receipts.confirm(toIo, atApp[1].epoch, atApp[1].seq);
    const alone = await waitFor(() => atIo.find(receiptIn), { what: "the receipt" });
    expect(alone.frames).to.have.length(1);
    const receipt = receiptIn(alone)!;
    expect(receipt).to.include({ epoch: toApp.epoch, seq: 2 });
    receipts.take(toApp, receipt.epoch, receipt.seq);
    expect(toApp.unreceiptedBatches, "batch 3 still unconfirmed").to.equal(1);

    // a receipt of another epoch (an earlier link) says nothing about this link's batches
    receipts.take(toApp, toApp.epoch + 1, 3);
    expect(toApp.unreceiptedBatches).to.equal(1);
    receipts.take(toApp, toApp.epoch, 3);
    expect(toApp.unreceiptedBatches).to.equal(0);
  });

  it("a receipt rides along with the app-node's next write; a new epoch of the io-node starts the count again", async () => {
    const { transport, inbox } = bus();
    const atIo = await inbox("io-1");
    const toIo = new RemoteIoLink(transport, "app-1", "io-1");
    onCleanup(() => toIo.close(), "io link");
    receipts.confirm(toIo, 7, 4);
    toIo.write("c1", '2["reply"]', true, false);
    await waitFor(() => atIo.length === 1, { what: "the batch with the write" });
    const frames = atIo[0].frames;
    expect(frames.map((f) => f.type)).to.include(FrameType.WRITE);
    expect(receiptIn(atIo[0])).to.include({ epoch: 7, seq: 4 });
    // the io-node re-created its link (a new epoch): the count starts again, seq 1 is news
    receipts.confirm(toIo, 8, 1);
    toIo.write("c1", '2["next"]', true, false);
    await waitFor(() => atIo.length === 2, { what: "the batch of the new epoch" });
    expect(receiptIn(atIo[1])).to.include({ epoch: 8, seq: 1 });
    // an unchanged position is not sent again
    toIo.write("c1", '2["more"]', true, false);
    await waitFor(() => atIo.length === 3, { what: "a write without news" });
    expect(receiptIn(atIo[2])).to.equal(undefined);
  });

  it("after a loss, what the app-node did not confirm comes back per connection, in arrival order, once", async () => {
    const { atApp, link } = await ioToApp();
    link.open("c1", HANDSHAKE);
    link.data("c1", "0");
    link.data("c2", "0");
    await waitFor(() => atApp.length === 1, { what: "the first batch" });
    link.data("c1", '2["one"]');
    link.data("c2", '2["x"]');
    link.close("c2", "transport close");
    await waitFor(() => atApp.length === 2, { what: "the second batch" });
    receipts.take(link, link.epoch, 1);
    // queued but not sent yet: the replay takes it too (it flushes first)
    link.data("c1", '2["two"]');
    const replay = link.takeUnreceipted();
    expect([...replay.keys()]).to.deep.equal(["c1", "c2"]);
    expect(replay.get("c1")).to.deep.equal(['2["one"]', '2["two"]']);
    expect(replay.get("c2")).to.deep.equal(['2["x"]']);
    expect(link.unreceiptedBatches).to.equal(0);
    expect(link.takeUnreceipted().size, "taken once").to.equal(0);
  });
});
