/**
 * The io-node's room index on its own: which connections a broadcast reaches, and which presence
 * changes the io-node announces.
 */
import { expect } from "chai";
import { Membership, RoomIndex, RoomMember } from "../src/io-node/room-index";
import { RoomOp } from "../src/protocol/frame";

/** A connection that holds rooms in any namespace but "/forbidden" (one its client never joined). */
function member(id: string): RoomMember & { memberships: Map<string, Membership> } {
  const memberships = new Map<string, Membership>();
  return {
    id,
    memberships,
    membership: (nsp) => memberships.get(nsp),
    setMembership: (nsp, m) => {
      if (nsp === "/forbidden") return false;
      if (m) memberships.set(nsp, m);
      else memberships.delete(nsp);
      return true;
    },
    membershipNamespaces: () => memberships.keys(),
    pickMark: 0,
    skipMark: 0,
  };
}

function targets(index: RoomIndex, nsp: string, rooms: string[], except: string[] = []): string[] {
  const out: string[] = [];
  index.forEachMember(nsp, rooms, except, (m) => out.push(m.id));
  return out.sort();
}

describe("io-node room index", () => {
  let changes: string[];
  let index: RoomIndex;
  let a: ReturnType<typeof member>, b: ReturnType<typeof member>, c: ReturnType<typeof member>;

  beforeEach(() => {
    changes = [];
    index = new RoomIndex((nsp, room, present) => changes.push(`${present ? "+" : "-"}${nsp}:${room}`));
    [a, b, c] = [member("a"), member("b"), member("c")];
    index.apply(a, "/", "sa", RoomOp.JOIN, ["sa", "r1", "r2"]);
    index.apply(b, "/", "sb", RoomOp.JOIN, ["sb", "r1"]);
    index.apply(c, "/", "sc", RoomOp.JOIN, ["sc"]);
  });

  it("selects the members of any of the rooms, once each, minus the excepted rooms", () => {
    expect(targets(index, "/", ["r1"])).to.deep.equal(["a", "b"]);
    expect(targets(index, "/", ["r1", "r2"])).to.deep.equal(["a", "b"]);
    expect(targets(index, "/", ["r1"], ["r2"])).to.deep.equal(["b"]);
    expect(targets(index, "/", [])).to.deep.equal(["a", "b", "c"]);
    expect(targets(index, "/", [], ["sb"])).to.deep.equal(["a", "c"]);
    expect(targets(index, "/", ["nobody"])).to.deep.equal([]);
    expect(targets(index, "/other", [])).to.deep.equal([]);
  });

  it("announces a room when its first member joins and when its last member leaves", () => {
    expect(changes).to.deep.equal(["+/:sa", "+/:r1", "+/:r2", "+/:sb", "+/:sc"]);
    changes.length = 0;
    index.apply(b, "/", "sb", RoomOp.JOIN, ["r2"]);
    expect(changes, "r2 had a member already").to.deep.equal([]);
    index.apply(a, "/", "sa", RoomOp.LEAVE, ["r1", "r2"]);
    expect(changes, "b is still in r1 and r2").to.deep.equal([]);
    index.apply(b, "/", "sb", RoomOp.LEAVE, ["r1"]);
    expect(changes).to.deep.equal(["-/:r1"]);
    expect(targets(index, "/", ["r1"])).to.deep.equal([]);
    expect(targets(index, "/", ["r2"])).to.deep.equal(["b"]);
  });

  it("keeps namespaces apart", () => {
    index.apply(a, "/chat", "ca", RoomOp.JOIN, ["ca", "r1"]);
    expect(targets(index, "/chat", ["r1"])).to.deep.equal(["a"]);
    expect(targets(index, "/", ["r1"])).to.deep.equal(["a", "b"]);
    index.apply(a, "/chat", "ca", RoomOp.LEAVE_ALL, []);
    expect(targets(index, "/chat", [])).to.deep.equal([]);
    expect(targets(index, "/", ["r1"]), "the main namespace is untouched").to.deep.equal(["a", "b"]);
  });

  it("a socket that leaves its namespace, or a connection that closes, leaves every room", () => {
    index.apply(a, "/", "sa", RoomOp.LEAVE_ALL, []);
    expect(targets(index, "/", [])).to.deep.equal(["b", "c"]);
    expect(changes.slice(-2)).to.deep.equal(["-/:sa", "-/:r2"]);
    index.apply(c, "/chat", "cc", RoomOp.JOIN, ["cc"]);
    index.removeMember(c);
    expect(targets(index, "/", [])).to.deep.equal(["b"]);
    expect(targets(index, "/chat", [])).to.deep.equal([]);
    expect(c.memberships.size).to.equal(0);
  });

  it("a late word about an old socket id does not touch the connection's new socket", () => {
    // re-homed without recovery: the new owner made a new socket on the same connection
    index.apply(a, "/", "sa2", RoomOp.JOIN, ["sa2"]);
    expect(targets(index, "/", ["r1"]), "the old socket's rooms went with it").to.deep.equal(["b"]);
    expect(targets(index, "/", ["sa2"])).to.deep.equal(["a"]);
    index.apply(a, "/", "sa", RoomOp.LEAVE, ["sa2"]);
    index.apply(a, "/", "sa", RoomOp.LEAVE_ALL, []);
    expect(targets(index, "/", ["sa2"])).to.deep.equal(["a"]);
  });

  it("a restored session (same socket id) keeps its rooms, and joining twice changes nothing", () => {
    index.apply(a, "/", "sa", RoomOp.JOIN, ["sa", "r1", "r2"]);
    expect(targets(index, "/", ["r2"])).to.deep.equal(["a"]);
    index.apply(a, "/", "sa", RoomOp.LEAVE, ["r2"]);
    expect(targets(index, "/", ["r2"])).to.deep.equal([]);
  });

  it("keeps no rooms for a namespace the connection's client never joined", () => {
    index.apply(a, "/forbidden", "fa", RoomOp.JOIN, ["fa", "r1"]);
    expect(targets(index, "/forbidden", [])).to.deep.equal([]);
    expect(changes.some((c) => c.includes("/forbidden"))).to.equal(false);
  });

  it("lists every room with a member, for a presence snapshot", () => {
    index.apply(a, "/chat", "ca", RoomOp.JOIN, ["ca"]);
    expect([...index.rooms()].map(([n, r]) => `${n}:${r}`).sort()).to.deep.equal(
      ["/:r1", "/:r2", "/:sa", "/:sb", "/:sc", "/chat:ca"].sort(),
    );
  });
});
