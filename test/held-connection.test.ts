/**
 * A connection held by an io-node while no app-node can take it, over the memory transport: a real
 * io-node and a raw Engine.IO websocket client, and in place of an app-node only its registry
 * record and its inbox, so the test sees the frames the io-node relays, in the order it relays them.
 */
import { expect } from "chai";
import { randomBytes } from "crypto";
import WebSocket from "ws";
import { createIoNode, IoNode, IoNodeOptions } from "../src";
import { listenInbox } from "../src/cluster/inbox";
import { NodeRegistry } from "../src/cluster/node-registry";
import { Frame, FrameType } from "../src/protocol/frame";
import { MemoryTransport } from "../src/transport/memory";
import { onCleanup, once, track, waitFor } from "./helpers";

const TIMINGS = { heartbeatInterval: 50, nodeTimeout: 400 };

/** An io-node on a memory transport of its own, and what stands in for an app-node there. */
async function ioNodeAlone(opts: Partial<IoNodeOptions> = {}) {
  const transport = new MemoryTransport(`held-${randomBytes(4).toString("hex")}`);
  onCleanup(() => transport.close(), "memory transport");
  const node: IoNode = track(createIoNode({ port: 0, host: "127.0.0.1", transport, ...TIMINGS, ...opts }), "io-node");
  await node.ready();
  /** Registers an app-node `id` and records the frames the io-node sends it. */
  const appNode = async (id: string): Promise<Frame[]> => {
    const frames: Frame[] = [];
    await listenInbox(transport, id, (batch) => frames.push(...batch.frames));
    const registry = new NodeRegistry(transport, () => ({ id, role: "app", connections: 0, messages: 0 }), TIMINGS);
    onCleanup(() => registry.stop(), `app-node ${id}`);
    await registry.start();
    return frames;
  };
  return { node, appNode };
}

/** A raw Engine.IO websocket client, resolved with its session id once the io-node opened it. */
async function rawClient(node: IoNode): Promise<{ ws: WebSocket; sid: string }> {
  const ws = new WebSocket(`ws://${node.address()}/socket.io/?EIO=4&transport=websocket`);
  onCleanup(() => ws.terminate(), "raw websocket");
  const [open] = await once<[Buffer]>(ws, "message", { what: "the Engine.IO open packet" });
  const text = open.toString();
  expect(text.startsWith("0{")).to.equal(true);
  return { ws, sid: (JSON.parse(text.slice(1)) as { sid: string }).sid };
}

/** Sends Socket.IO packets as Engine.IO messages and resolves once the io-node has handled them all. */
async function sendAll(node: IoNode, sid: string, ws: WebSocket, packets: string[]): Promise<void> {
  const eio = node.clientSocket(sid)!;
  // listening after the io-node: when this listener runs, the io-node has taken the packet
  const taken = once(eio, "message", { match: (data: unknown) => data === packets[packets.length - 1], what: "the io-node to take the last packet" });
  for (const p of packets) ws.send(`4${p}`);
  await taken;
}

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
