/**
 * Room presence between io-nodes and app-nodes over the memory transport: the announcer and the
 * app-node's picture, a missed announcement, a lost snapshot request and garbage on the channel.
 */
import { expect } from "chai";
import { MemoryTransport } from "../src/transport/memory";
import { PresenceAnnouncer } from "../src/io-node/presence-announcer";
import { RoomPresence } from "../src/app-node/room-presence";
import { encodePresence } from "../src/protocol/presence";
import { CHANNELS } from "../src/transport/keys";
import type { NodeRecord } from "../src/cluster/node-registry";
import { onCleanup, uniquePrefix, waitFor } from "./helpers";

function ioRecord(id: string, roomSeq: number): NodeRecord {
  return { id, role: "io", connections: 0, messages: 0, roomSeq, seq: 1, at: Date.now(), pid: 1, host: "h", startedAt: 0 };
}

function who(presence: RoomPresence, nsp: string, rooms: string[]): string[] {
  const into = new Set<string>();
  presence.collect(nsp, rooms, into, rooms.length === 0);
  return [...into].sort();
}

describe("room presence", () => {
  let transport: MemoryTransport;
  let rooms: Array<[string, string]>;
  let announcer: PresenceAnnouncer;
  let presence: RoomPresence;

  beforeEach(async () => {
    transport = new MemoryTransport(uniquePrefix("presence"));
    rooms = [];
    announcer = new PresenceAnnouncer(transport, "io-1", () => rooms);
    presence = new RoomPresence(transport);
    await announcer.start();
    await presence.start();
    onCleanup(async () => {
      await announcer.close();
      await presence.close();
      await transport.close();
    });
  });

  function change(nsp: string, room: string, present: boolean): void {
    if (present) rooms.push([nsp, room]);
    else rooms = rooms.filter(([n, r]) => n !== nsp || r !== room);
    announcer.changed(nsp, room, present);
  }

  it("follows an io-node from its first announcement", async () => {
    change("/", "r1", true);
    await waitFor(() => who(presence, "/", ["r1"]).length === 1, 2_000, "r1 announced");
    expect(who(presence, "/", ["r1", "r2"])).to.deep.equal(["io-1"]);
    expect(who(presence, "/", ["r2"])).to.deep.equal([]);
    expect(who(presence, "/", [])).to.deep.equal(["io-1"]);
    expect(who(presence, "/chat", [])).to.deep.equal([]);
    change("/", "r1", false);
    await waitFor(() => who(presence, "/", []).length === 0, 2_000, "r1 gone");
  });

  it("an io-node seen first in the registry counts everywhere until its snapshot arrives", async () => {
    change("/", "r1", true);
    await waitFor(() => announcer.seq === 1, 2_000, "first announcement out");
    const late = new RoomPresence(transport);
    await late.start();
    onCleanup(() => late.close());
    late.onHeartbeat(ioRecord("io-1", announcer.seq));
    expect(who(late, "/", ["r2"]), "before the snapshot: present everywhere").to.deep.equal(["io-1"]);
    await waitFor(() => who(late, "/", ["r2"]).length === 0, 2_000, "snapshot applied");
    expect(who(late, "/", ["r1"])).to.deep.equal(["io-1"]);
  });

  it("a missed announcement (a gap in the counter) brings a snapshot", async () => {
    change("/", "r1", true);
    await waitFor(() => who(presence, "/", ["r1"]).length === 1, 2_000, "r1 announced");
    // an announcement that never reached this app-node: the io-node counted it, nobody heard it
    rooms.push(["/", "lost"]);
    announcer.seq++;
    change("/", "r3", true);
    await waitFor(() => who(presence, "/", ["lost"]).length === 1, 2_000, "snapshot with the lost room");
    expect(who(presence, "/", ["r3"])).to.deep.equal(["io-1"]);
  });

  it("a lost last announcement is noticed from the registry's counter two heartbeats on", async () => {
    change("/", "r1", true);
    await waitFor(() => who(presence, "/", ["r1"]).length === 1, 2_000, "r1 announced");
    rooms.push(["/", "lost"]);
    announcer.seq++;
    presence.onHeartbeat(ioRecord("io-1", announcer.seq));
    expect(who(presence, "/", ["lost"]), "one heartbeat behind may just be pub/sub being slower").to.deep.equal([]);
    presence.onHeartbeat(ioRecord("io-1", announcer.seq));
    await waitFor(() => who(presence, "/", ["lost"]).length === 1, 2_000, "snapshot after the second heartbeat");
  });

  it("garbage on the channel is dropped; a forgotten io-node counts nowhere", async () => {
    await transport.publish(CHANNELS.presence, Buffer.from("not msgpack at all \u00ff"));
    await transport.publish(CHANNELS.presence, encodePresence({ from: "io-1", seq: 1, snapshot: false, changes: [["/", "r1", true]] }).subarray(0, 5));
    change("/", "r1", true);
    await waitFor(() => who(presence, "/", ["r1"]).length === 1, 2_000, "r1 announced after the garbage");
    presence.forget("io-1");
    expect(who(presence, "/", [])).to.deep.equal([]);
  });

  it("announceNow resolves once every live app-node applied the announcement, and without those that went away", async () => {
    const confirmers = new PresenceAnnouncer(transport, "io-2", () => [], () => ["app-a", "app-b"]);
    await confirmers.start();
    onCleanup(() => confirmers.close());
    const applied: Array<[string, number, boolean]> = [];
    // app-a's picture: it answers what asks for it, after applying
    const a = new RoomPresence(transport, (ioNodeId, seq) => {
      applied.push([ioNodeId, seq, who(a, "/", ["lobby"]).includes("io-2")]);
      confirmers.seen("app-a", seq);
    });
    await a.start();
    onCleanup(() => a.close());
    confirmers.changed("/", "lobby", true);
    let settled: boolean | undefined;
    const first = confirmers.announceNow(5_000).then((ok) => (settled = ok));
    await waitFor(() => applied.length === 1, 2_000, "app-a to confirm");
    expect(applied).to.deep.equal([["io-2", 1, true]]);
    expect(settled, "app-b has not confirmed").to.equal(undefined);
    confirmers.forget("app-b");
    expect(await first).to.equal(true);
    // the app-node whose join made the room appear need not confirm it
    confirmers.changed("/", "own", true);
    expect(await confirmers.announceNow(5_000, "app-b")).to.equal(true);
    expect(applied.map(([io, seq]) => `${io}#${seq}`)).to.deep.equal(["io-2#1", "io-2#2"]);
    // an app-node that never answers: false after the wait, and nothing left waiting
    const silent = new PresenceAnnouncer(transport, "io-3", () => [], () => ["app-silent"]);
    await silent.start();
    onCleanup(() => silent.close());
    silent.changed("/", "r", true);
    expect(await silent.announceNow(50)).to.equal(false);
    await waitFor(() => applied.length === 3, 2_000, "app-a to confirm io-3's announcement too");
    // a plain delta (the changes of a turn, published on their own) asks for nothing
    confirmers.changed("/", "plain", true);
    await waitFor(() => who(a, "/", ["plain"]).includes("io-2"), 2_000, "the plain delta applied");
    expect(applied).to.deep.equal([["io-2", 1, true], ["io-2", 2, true], ["io-3", 1, true]]);
  });
});
