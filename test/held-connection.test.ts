/**
 * A connection held by an io-node while no app-node can take it, over the memory transport: a real
 * io-node and a raw Engine.IO websocket client, and in place of an app-node only its registry
 * record and its inbox, so the test sees the frames the io-node relays, in the order it relays them.
 */
import { expect } from "chai";
import { Frame, FrameType } from "../src/protocol/frame";
import { once, waitFor } from "./helpers";
import { ioNodeAlone, rawClient, sendAll } from "./helpers/io-node-alone";

const relayed = (frames: Frame[]) => frames.map((f) => (f.type === FrameType.DATA ? f.data : FrameType[f.type]));

describe("held connection (io-node over the memory transport)", () => {
  it("keeps the packets of a connection no app-node can take, and hands them to the first owner after OPEN, in order", async () => {
    const { node, appNode } = await ioNodeAlone();
    const { ws, sid } = await rawClient(node);
    expect(node.connectionsCount).to.equal(1);
    await sendAll(node, sid, ws, ["0", '2["a",1]', '2["b",2]']);
    const frames = await appNode("app-x");
    await waitFor(() => frames.filter((f) => f.type === FrameType.DATA).length === 3, { what: "the held packets at the owner" });
    expect(relayed(frames)).to.deep.equal(["OPEN", "0", '2["a",1]', '2["b",2]']);
    expect(frames[0]).to.include({ connId: sid });
    // owned now: the next packet goes straight on, after the held ones
    await sendAll(node, sid, ws, ['2["c",3]']);
    await waitFor(() => frames.length === 5, { what: "the packet sent once owned" });
    expect(relayed(frames).slice(1)).to.deep.equal(["0", '2["a",1]', '2["b",2]', '2["c",3]']);
  });

  it("closes a waiting connection that sends more than maxPendingPackets, and relays none of it", async () => {
    const { node, appNode } = await ioNodeAlone({ maxPendingPackets: 2 });
    const { ws, sid } = await rawClient(node);
    const closed = once(ws, "close", { what: "the io-node to close the connection" });
    const eio = node.clientSocket(sid)!;
    await sendAll(node, sid, ws, ["0", '2["a"]']);
    expect(eio.readyState, "two packets fit").to.equal("open");
    ws.send('42["one too many"]');
    await closed;
    await waitFor(() => node.connectionsCount === 0, { what: "the io-node to forget the connection" });
    // an app-node that comes now has nothing to receive; a fresh connection proves it is served
    const frames = await appNode("app-x");
    const next = await rawClient(node);
    await sendAll(node, next.sid, next.ws, ["0"]);
    await waitFor(() => frames.some((f) => f.type === FrameType.DATA), { what: "the fresh connection's packet" });
    expect(frames.every((f) => "connId" in f && f.connId === next.sid)).to.equal(true);
  });

  it("closes a connection that waited pendingTimeout for an app-node", async () => {
    const { node } = await ioNodeAlone({ pendingTimeout: 200 });
    const { ws } = await rawClient(node);
    await once(ws, "close", { what: "the io-node to give up on the connection" });
    await waitFor(() => node.connectionsCount === 0, { what: "the io-node to forget the connection" });
  });
});
