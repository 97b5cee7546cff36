import { expect } from "chai";
import type { Server } from "../src";
import type { Transport } from "../src/transport/transport";
import { BroadcastFlag, FrameType, Payload, RoomOp } from "../src/protocol/frame";
import { EVERY_ROOM } from "../src/protocol/presence";
import { compareOffsets, RecoveryWindows, WindowOwner } from "../src/io-node/recovery-window";
import { Membership, RoomIndex } from "../src/io-node/room-index";
import { ClientSocket, once, startCluster, waitFor } from "./helpers";
import { ioNodeAlone, rawClient, sendAll } from "./helpers/io-node-alone";

/** A connection as the windows see it, with what was written to it. */
class FakeConn implements WindowOwner {
  readonly written: Payload[] = [];
  private readonly rooms = new Map<string, Membership>();
  pickMark = 0;
  skipMark = 0;
  constructor(
    readonly id: string,
    readonly owner = "app-1",
  ) {}
  membership(nsp: string) {
    return this.rooms.get(nsp);
  }
  setMembership(nsp: string, m: Membership | undefined) {
    if (m) this.rooms.set(nsp, m);
    else this.rooms.delete(nsp);
    return true;
  }
  membershipNamespaces() {
    return this.rooms.keys();
  }
}

function windows(everyRoom: Array<[string, boolean]> = [], overflowed: FakeConn[] = [], maxKept = 100) {
  return new RecoveryWindows<FakeConn>(
    (nsp, present) => everyRoom.push([nsp, present]),
    { write: (conn, data) => conn.written.push(data), overflow: (conn) => overflowed.push(conn) },
    maxKept,
  );
}

describe("recovery windows (io-node)", () => {
  it("orders offsets as Redis stream ids", () => {
    expect(compareOffsets("1700000000000-2", "1700000000000-10")).to.be.below(0);
    expect(compareOffsets("1700000000001-0", "1700000000000-99")).to.be.above(0);
    expect(compareOffsets("5-5", "5-5")).to.equal(0);
  });

  it("opens only for a CONNECT that asks to recover, and asks for every room of the namespace meanwhile", () => {
    const announced: Array<[string, boolean]> = [];
    const w = windows(announced);
    const a = new FakeConn("a");
    const b = new FakeConn("b");
    expect(w.open(a, "/", { token: 1 })).to.equal(undefined);
    expect(w.open(a, "/", undefined)).to.equal(undefined);
    const wa = w.open(a, "/", { pid: "p1", offset: "10-0" })!;
    const wb = w.open(b, "/", { pid: "p2", offset: "10-0" })!;
    expect(w.restoring("/")).to.equal(true);
    expect([...w.everyRoomNamespaces()]).to.deep.equal(["/"]);
    w.discard(a, wa);
    expect(w.restoring("/")).to.equal(true);
    w.close(b, wb, '0{"sid":"s","pid":"p2"}');
    expect(w.restoring("/")).to.equal(false);
    expect(announced).to.deep.equal([["/", true], ["/", false]]);
    expect(EVERY_ROOM).to.be.a("string");
  });

  it("a recovered session gets the kept broadcasts logged after its last missed packet that reach its restored rooms", () => {
    const w = windows();
    const index = new RoomIndex();
    const conn = new FakeConn("c");
    const window = w.open(conn, "/", { pid: "p", offset: "100-0" })!;
    // logged before the owner's read: the owner sends it as a missed packet, the live copy is dropped
    w.keep("/", "app-2", ["room1"], [], 0, "100-1", ['2["early","100-1"]']);
    w.written(window, '2["early","100-1"]');
    // the restored rooms arrive
    index.apply(conn, "/", "s", RoomOp.JOIN, ["s", "room1"]);
    // logged after the read, wherever it came from
    w.keep("/", "app-2", ["room1"], [], 0, "100-2", ['2["late","100-2"]']);
    w.keep("/", "app-2", ["room2"], [], 0, "100-3", ['2["other room","100-3"]']);
    w.keep("/", "app-2", [], ["room1"], 0, "100-4", ['2["except room1","100-4"]']);
    w.keep("/", "app-2", ["room1"], [], BroadcastFlag.LOCAL, "100-5", ['2["local of another app-node","100-5"]']);
    w.close(conn, window, '0{"sid":"s","pid":"p"}');
    expect(conn.written).to.deep.equal(['2["late","100-2"]']);
    // closed: nothing more is kept for it
    w.keep("/", "app-2", ["room1"], [], 0, "100-6", ['2["after","100-6"]']);
    expect(conn.written).to.have.length(1);
  });

  it("a new session gets only the kept broadcasts it was a member of when they came", () => {
    const w = windows();
    const index = new RoomIndex();
    const conn = new FakeConn("c");
    const window = w.open(conn, "/", { pid: "old", offset: "100-0" })!;
    w.keep("/", "app-2", ["room1"], [], 0, "100-1", ['2["before the join","100-1"]']);
    index.apply(conn, "/", "s2", RoomOp.JOIN, ["s2", "room1"]);
    w.keep("/", "app-2", ["room1"], [], 0, "100-2", ['2["after the join","100-2"]']);
    w.keep("/", "app-2", ["room1"], [], 0, undefined, ['2["not logged"]']);
    w.close(conn, window, '0{"sid":"s2","pid":"new"}');
    expect(conn.written).to.deep.equal(['2["after the join","100-2"]', '2["not logged"]']);
  });

  it("a refused CONNECT gets nothing, and a window that keeps too much ends its connection", () => {
    const overflowed: FakeConn[] = [];
    const w = windows([], overflowed, 2);
    const refused = new FakeConn("r");
    const rw = w.open(refused, "/", { pid: "p", offset: "1-0" })!;
    w.keep("/", "app-2", [], [], 0, "1-1", ['2["x","1-1"]']);
    w.close(refused, rw, '4{"message":"not authorized"}');
    expect(refused.written).to.deep.equal([]);
    const busy = new FakeConn("b");
    w.open(busy, "/", { pid: "p", offset: "1-0" });
    for (let i = 0; i < 3; i++) w.keep("/", "app-2", [], [], 0, `2-${i}`, [`2["x","2-${i}"]`]);
    expect(overflowed).to.deep.equal([busy]);
    expect(w.restoring("/")).to.equal(false);
  });
});

describe("a restored session's missed packets (io-node over the memory transport)", () => {
  it("are written once: the live copy of a broadcast the owner already sent as missed, coming after the reply, is dropped; other broadcasts are not", async () => {
    const { node, appNode, linkFrom } = await ioNodeAlone();
    const frames = await appNode("app-x");
    const { ws, sid } = await rawClient(node);
    const received: string[] = [];
    ws.on("message", (m: Buffer) => received.push(m.toString()));
    await sendAll(node, sid, ws, ['0{"pid":"p1","offset":"100-0"}']);
    await waitFor(() => frames.some((f) => f.type === FrameType.DATA && f.data === '0{"pid":"p1","offset":"100-0"}'), { what: "the CONNECT at the owner" });
    const send = linkFrom("app-x");
    // what Socket.IO's recovered Socket writes: its rooms, the missed packets, then the CONNECT reply
    send(
      { type: FrameType.ROOMS, connId: sid, nsp: "/", sid: "s1", op: RoomOp.JOIN, rooms: ["s1", "stream"] },
      { type: FrameType.WRITE, connId: sid, data: '2["tick",21,"100-1"]', compress: true, volatile: false },
      { type: FrameType.WRITE, connId: sid, data: '0{"sid":"s1","pid":"p1"}', compress: true, volatile: false },
    );
    await waitFor(() => received.includes('40{"sid":"s1","pid":"p1"}'), { what: "the CONNECT reply at the client" });
    // the broadcasting app-node's frames, late: tick 21 was logged before the owner's read
    send(
      { type: FrameType.BROADCAST, nsp: "/", rooms: ["stream"], except: [], flags: 0, offset: "100-1", data: ['2["tick",21,"100-1"]'] },
      { type: FrameType.BROADCAST, nsp: "/", rooms: ["stream"], except: [], flags: 0, offset: "99-7", data: ['2["older, never sent","99-7"]'] },
      { type: FrameType.BROADCAST, nsp: "/", rooms: ["stream"], except: [], flags: 0, offset: "100-2", data: ['2["tick",22,"100-2"]'] },
    );
    await waitFor(() => received.includes('42["tick",22,"100-2"]'), { what: "tick 22 at the client" });
    expect(received.filter((m) => m.startsWith("4"))).to.deep.equal([
      '42["tick",21,"100-1"]',
      '40{"sid":"s1","pid":"p1"}',
      '42["older, never sent","99-7"]',
      '42["tick",22,"100-2"]',
    ]);
  });
});

function setup(io: Server): void {
  io.on("connection", (socket) => {
    socket.on("join", (room: string, cb: () => void) => {
      void socket.join(room);
      cb();
    });
  });
}

/** The transport of an app-node's adapter for "/" (where the recovery log is read and written). */
function transportOf(io: Server): Transport {
  return (io.of("/").adapter as unknown as { transport: Transport }).transport;
}

/** Resolves once the next broadcast `io` logs is in the log and on its way to the io-nodes. */
function nextLogged(io: Server): Promise<void> {
  const t = transportOf(io);
  const append = t.appendLog;
  return new Promise((resolve) => {
    t.appendLog = async (...args) => {
      t.appendLog = append;
      const id = await append.apply(t, args);
      // the offset fills the packet and the frame leaves on the next turns
      setImmediate(() => setImmediate(resolve));
      return id;
    };
  });
}

describe("connection state recovery across app-nodes", function () {
  this.timeout(20_000);

  it("a broadcast another app-node logs while the owner restores the session reaches the client once, after the missed ones", async () => {
    const fx = await startCluster({ setup, serverOptions: { connectionStateRecovery: {} } });
    const first = await fx.connect(0, { reconnection: false });
    await first.emitWithAck("join", "room1");
    const before = once(first, "news");
    fx.apps[0].to("room1").emit("news", "before");
    await before;
    const { _pid: pid, _lastOffset: offset } = first as unknown as { _pid: string; _lastOffset: string };
    const firstId = first.id!;
    first.io.engine.close();
    await waitFor(() => fx.apps.every((io) => !io.of("/").sockets.has(firstId)), 5_000, "the first socket gone");
    const missed = nextLogged(fx.apps[0]);
    fx.apps[0].to("room1").emit("news", "missed");
    await missed;

    // right after the owner read the log, the other app-node logs and sends another one: the
    // restored socket has no room on its io-node yet
    let late: Promise<void> | undefined;
    for (const [i, io] of fx.apps.entries()) {
      const t = transportOf(io);
      const read = t.readLog;
      t.readLog = async (...args) => {
        const entries = await read.apply(t, args);
        if (!late) {
          const other = fx.apps[1 - i];
          late = nextLogged(other);
          other.to("room1").emit("news", "late");
          await late;
        }
        return entries;
      };
    }
    const got: unknown[] = [];
    const second = await fx.connect(1, { reconnection: false }, "/", (c: ClientSocket) => {
      Object.assign(c, { _pid: pid, _lastOffset: offset });
      c.on("news", (text: string) => got.push(text));
    });
    expect(late, "the owner read the log").to.not.equal(undefined);
    expect(second.recovered).to.equal(true);
    expect(second.id).to.equal(firstId);
    await waitFor(() => got.length >= 2, 5_000, "the missed and the late broadcast");
    // a last one from the owner closes the list: nothing came twice
    const owner = fx.ownerOf(second.id!);
    const last = once(second, "news");
    owner.to(second.id!).emit("news", "last");
    await last;
    expect(got).to.deep.equal(["missed", "late", "last"]);
  });
});
