/**
 * The Socket.IO server API across a cluster: broadcasts and rooms. 2 io-nodes and 2 app-nodes (see ./harness.ts).
 */
import { expect } from "chai";
import { ClientSocket, once, waitFor } from "../helpers";
import { cluster, spread } from "./harness";

describe("cluster API: broadcasts and rooms", function () {
  this.timeout(15_000);

  it("spreads connections over both app-nodes from both io-nodes", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const pairs = new Set(placed.map((p) => `${p.io}/${p.app}`));
    expect(pairs).to.have.keys("0/0", "0/1", "1/0", "1/1");
    // the client's own view agrees with the server's
    for (const p of placed) {
      const who = (await p.client.emitWithAck("whoami")) as { app: number; id: string };
      expect(who).to.include({ app: p.app, id: p.client.id });
    }
  });

  it("a room broadcast from either app-node reaches the room's clients on every io-node", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const inRoom = placed.filter((_p, i) => i !== 3).map((p) => p.client);
    const outside = placed[3].client;
    for (const c of inRoom) await c.emitWithAck("join", "room");
    const outsideGot: unknown[] = [];
    outside.on("news", (...a) => outsideGot.push(a));
    for (const [from, io] of fx.apps.entries()) {
      const got = inRoom.map((c) => once(c, "news"));
      io.to("room").emit("news", `from app ${from}`);
      expect(await Promise.all(got)).to.deep.equal(inRoom.map(() => [`from app ${from}`]));
    }
    // the outsider would have had them before this answer
    await outside.emitWithAck("echo", 0);
    expect(outsideGot).to.deep.equal([]);
  });

  it("a client's broadcast to the others reaches every other client, not itself", async () => {
    const fx = await cluster({
      setup: (io) => io.on("connection", (s) => s.on("shout", (m: string) => s.broadcast.emit("shouted", m))),
    });
    const placed = await spread(fx, 4);
    const sender = placed[0].client;
    const senderGot: unknown[] = [];
    sender.on("shouted", (m) => senderGot.push(m));
    const got = placed.slice(1).map((p) => once(p.client, "shouted"));
    sender.emit("shout", "hey");
    expect(await Promise.all(got)).to.deep.equal([["hey"], ["hey"], ["hey"]]);
    await sender.emitWithAck("echo", 0);
    expect(senderGot).to.deep.equal([]);
  });

  it("io.local reaches and fetches only the app-node's own sockets", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    for (const [i, io] of fx.apps.entries()) {
      const mine = placed.filter((p) => p.app === i).map((p) => p.client.id).sort();
      expect((await io.local.fetchSockets()).map((s) => s.id).sort()).to.deep.equal(mine);
      const got: string[] = [];
      for (const p of placed) p.client.once("local-news", () => got.push(p.client.id!));
      io.local.emit("local-news");
      // a round trip of every client after the emit: anything sent to it has arrived by then
      for (const p of placed) await p.client.emitWithAck("echo", 0);
      expect(got.sort()).to.deep.equal(mine);
      for (const p of placed) p.client.off("local-news");
    }
  });

  it("to() / except() combinations across app-nodes", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const [a, b, c, d] = placed.map((p) => p.client);
    await a.emitWithAck("join", "red");
    await b.emitWithAck("join", "red");
    await b.emitWithAck("join", "vip");
    await c.emitWithAck("join", "blue");
    const got = new Map<ClientSocket, string[]>(placed.map((p) => [p.client, []]));
    for (const p of placed) p.client.onAny((event: string) => got.get(p.client)!.push(event));
    const io = fx.apps[1];
    io.to("red").except("vip").emit("red-not-vip");
    io.to(["red", "blue"]).emit("red-or-blue");
    io.except(["red", "blue"]).emit("neither");
    io.to("red").to("vip").emit("red-or-vip-once");
    io.in(d.id!).emit("to-d-by-id");
    io.to("red").except(a.id!).emit("red-but-a");
    // a broadcast from app-node 1 reaches a socket of app-node 0 on app-node 1's link to its io-node,
    // the socket's round trip goes by app-node 0's: no order between the two, as between any two
    // Socket.IO servers; so wait for the 9 deliveries, then a round trip of every client, after
    // which a wrong extra one would be there
    const count = () => [...got.values()].reduce((n, events) => n + events.length, 0);
    await waitFor(() => count() >= 9, 5_000, "9 deliveries");
    for (const p of placed) await p.client.emitWithAck("echo", 0);
    expect(got.get(a)).to.deep.equal(["red-not-vip", "red-or-blue", "red-or-vip-once"]);
    expect(got.get(b)).to.deep.equal(["red-or-blue", "red-or-vip-once", "red-but-a"]);
    expect(got.get(c)).to.deep.equal(["red-or-blue"]);
    expect(got.get(d)).to.deep.equal(["neither", "to-d-by-id"]);
  });

  it("keeps the order of a socket's emits, and of emits mixed with broadcasts", async () => {
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.on("burst", (n: number) => {
            for (let i = 0; i < n; i++) {
              socket.emit("seq", i);
              if (i % 10 === 0) io.to(socket.id).emit("seq", `b${i}`);
            }
            socket.emit("seq", "end");
          });
          const received: unknown[] = [];
          socket.on("up", (i: number) => received.push(i));
          socket.on("received", (cb: (r: unknown[]) => void) => cb(received));
        }),
    });
    const placed = await spread(fx, 2);
    for (const p of placed) {
      const seen: unknown[] = [];
      p.client.on("seq", (x) => seen.push(x));
      const end = new Promise<void>((resolve) => p.client.on("seq", (x) => x === "end" && resolve()));
      p.client.emit("burst", 300);
      await end;
      const expected: unknown[] = [];
      for (let i = 0; i < 300; i++) {
        expected.push(i);
        if (i % 10 === 0) expected.push(`b${i}`);
      }
      expected.push("end");
      expect(seen).to.deep.equal(expected);
      for (let i = 0; i < 300; i++) p.client.emit("up", i);
      expect(await p.client.emitWithAck("received")).to.deep.equal([...Array(300).keys()]);
    }
  });

  it("a broadcast reaches 40 clients spread over the cluster", async () => {
    const fx = await cluster();
    const clients: ClientSocket[] = [];
    await Promise.all(
      [...Array(40).keys()].map(async (i) => clients.push(await fx.connect(i % 2, { transports: [i % 4 < 2 ? "websocket" : "polling"] }))),
    );
    expect((await fx.apps[0].fetchSockets()).length).to.equal(40);
    const owners = new Set(clients.map((c) => fx.ownerOf(c.id!)));
    expect(owners.size).to.equal(2);
    for (const io of fx.apps) {
      const got = clients.map((c) => once(c, "to-all"));
      io.emit("to-all", { big: "x".repeat(10_000) });
      const all = await Promise.all(got);
      expect(all.every(([m]) => (m as { big: string }).big.length === 10_000)).to.equal(true);
    }
  });
});
