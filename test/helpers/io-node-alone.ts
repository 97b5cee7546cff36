/**
 * A real io-node on a memory transport of its own, with in place of an app-node only its registry
 * record and its inbox (tests see the frames the io-node relays, in order, and can send it frames
 * as that app-node), and a raw Engine.IO websocket client.
 */
import { expect } from "chai";
import { randomBytes } from "crypto";
import WebSocket from "ws";
import { createIoNode, IoNode, IoNodeOptions } from "../../src";
import { listenInbox } from "../../src/cluster/inbox";
import { NodeRegistry } from "../../src/cluster/node-registry";
import { OutboundLink } from "../../src/cluster/outbound-link";
import type { Frame } from "../../src/protocol/frame";
import { MemoryTransport } from "../../src/transport/memory";
import { onCleanup, once, track } from ".";

export const TIMINGS = { heartbeatInterval: 50, nodeTimeout: 400 };

/** An io-node on a memory transport of its own, and what stands in for an app-node there. */
export async function ioNodeAlone(opts: Partial<IoNodeOptions> = {}) {
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
  /** Frames sent to the io-node as app-node `id` (registered with `appNode`), batched as app-nodes do. */
  const linkFrom = (id: string) => {
    const link = new OutboundLink(transport, id, node.id);
    return (...frames: Frame[]) => {
      for (const f of frames) link.push(f);
    };
  };
  return { node, appNode, linkFrom };
}

/** A raw Engine.IO websocket client, resolved with its session id once the io-node opened it. */
export async function rawClient(node: IoNode): Promise<{ ws: WebSocket; sid: string }> {
  const ws = new WebSocket(`ws://${node.address()}/socket.io/?EIO=4&transport=websocket`);
  onCleanup(() => ws.terminate(), "raw websocket");
  const [open] = await once<[Buffer]>(ws, "message", { what: "the Engine.IO open packet" });
  const text = open.toString();
  expect(text.startsWith("0{")).to.equal(true);
  return { ws, sid: (JSON.parse(text.slice(1)) as { sid: string }).sid };
}

/** Sends Socket.IO packets as Engine.IO messages and resolves once the io-node has handled them all. */
export async function sendAll(node: IoNode, sid: string, ws: WebSocket, packets: string[]): Promise<void> {
  const eio = node.clientSocket(sid)!;
  // listening after the io-node: when this listener runs, the io-node has taken the packet
  const taken = once(eio, "message", { match: (data: unknown) => data === packets[packets.length - 1], what: "the io-node to take the last packet" });
  for (const p of packets) ws.send(`4${p}`);
  await taken;
}

