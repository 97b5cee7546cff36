/**
 * The Socket.IO server API across a cluster: remote sockets and the server-side API. 2 io-nodes and 2 app-nodes (see ./harness.ts).
 */
import { expect } from "chai";
import type { RemoteSocket } from "socket.io";
import { ClientSocket, once, waitFor } from "../helpers";
import { cluster, find, spread } from "./harness";

describe("cluster API: remote sockets and the server-side API", function () {
  this.timeout(15_000);

  it("fetchSockets() across app-nodes returns RemoteSockets with handshake, rooms and data", async () => {
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.data.user = { name: socket.handshake.auth.name, tags: ["a", "b"] };
          socket.join(["r1", `user:${socket.handshake.auth.name}`]);
        }),
    });
    const clients: ClientSocket[] = [];
    for (let i = 0; i < 4; i++) {
      clients.push(
        await fx.connect(i % 2, {
          auth: { name: `u${i}` },
          query: { foo: "bar", i: String(i) },
          extraHeaders: { "x-custom": `header-${i}` },
        }),
      );
    }
    for (const io of fx.apps) {
      const sockets = await io.fetchSockets();
      expect(sockets.map((s) => s.id).sort()).to.deep.equal(clients.map((c) => c.id).sort());
      for (const [i, client] of clients.entries()) {
        const remote = sockets.find((s) => s.id === client.id)!;
        const local = fx.serverSocket(client.id!);
        const h = remote.handshake;
        expect(h.headers["x-custom"]).to.equal(`header-${i}`);
        expect(h.query).to.include({ foo: "bar", i: String(i), EIO: "4" });
        expect(h.auth).to.deep.equal({ name: `u${i}` });
        expect(h.url).to.match(/^\/socket\.io\/\?/);
        expect(h.url).to.contain("foo=bar");
        expect(h.address).to.match(/^(::ffff:)?127\.0\.0\.1$/);
        expect(h.secure).to.equal(false);
        // a remote copy is the owner's handshake, as JSON
        expect(h).to.deep.equal(JSON.parse(JSON.stringify(local.handshake)));
        expect([...remote.rooms].sort()).to.deep.equal([client.id, "r1", `user:u${i}`].sort());
        expect(remote.data.user).to.deep.equal({ name: `u${i}`, tags: ["a", "b"] });
        expect(remote.data.app).to.equal(fx.apps.indexOf(fx.ownerOf(client.id!)));
      }
    }
    const inRoom = await fx.apps[0].in("user:u3").fetchSockets();
    expect(inRoom.map((s) => s.id)).to.deep.equal([clients[3].id]);
  });

  it("a RemoteSocket from the other app-node can emit, join, leave and disconnect", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const client = find(placed, 1, 0);
    const [remote] = (await fx.apps[0].in(client.id!).fetchSockets()) as RemoteSocket<any, any>[];
    expect(remote).to.not.equal(undefined);
    expect(fx.apps[0].of("/").sockets.has(client.id!)).to.equal(false);
    const got = once(client, "direct");
    remote.emit("direct", { from: "app 0" });
    expect(await got).to.deep.equal([{ from: "app 0" }]);
    remote.join("joined-remotely");
    await waitFor(() => fx.serverSocket(client.id!).rooms.has("joined-remotely"));
    remote.leave("joined-remotely");
    await waitFor(() => !fx.serverSocket(client.id!).rooms.has("joined-remotely"));
    const gone = once<[string]>(client, "disconnect");
    remote.disconnect();
    expect((await gone)[0]).to.equal("io server disconnect");
  });

  it("socketsJoin / socketsLeave / disconnectSockets act on the sockets of every app-node", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const ids = placed.map((p) => p.client.id!);
    const roomsOf = (id: string) => fx.serverSocket(id).rooms;

    fx.apps[0].socketsJoin("everyone");
    await waitFor(() => ids.every((id) => roomsOf(id).has("everyone")), 5_000, "everyone joined");

    const target = find(placed, 0).id!;
    fx.apps[1].in(target).socketsJoin("picked");
    await waitFor(() => roomsOf(target).has("picked"), 5_000, "the target to join");
    expect(ids.filter((id) => roomsOf(id).has("picked"))).to.deep.equal([target]);

    fx.apps[1].in("picked").socketsLeave("everyone");
    await waitFor(() => !roomsOf(target).has("everyone"), 5_000, "the target to leave");
    expect(ids.filter((id) => roomsOf(id).has("everyone")).length).to.equal(3);

    const leaving = placed.filter((p) => p.client.id !== target);
    const gone = leaving.map((p) => once<[string]>(p.client, "disconnect").then(([r]) => r));
    fx.apps[0].in("everyone").disconnectSockets();
    expect(await Promise.all(gone)).to.deep.equal(["io server disconnect", "io server disconnect", "io server disconnect"]);
    const remaining = await fx.apps[0].fetchSockets();
    expect(remaining.map((s) => s.id)).to.deep.equal([target]);
  });

  it("serverSideEmit between app-nodes, with and without acks", async () => {
    const fx = await cluster();
    const received: Array<[number, unknown[]]> = [];
    fx.apps.forEach((io, i) => {
      io.on("note", (...args: unknown[]) => received.push([i, args]));
      io.on("ask", (q: string, cb: (a: string) => void) => cb(`app ${i} answers ${q}`));
    });
    fx.apps[0].serverSideEmit("note", "hello", { n: 1 });
    await waitFor(() => received.length === 1);
    expect(received).to.deep.equal([[1, ["hello", { n: 1 }]]]);

    const answers = await fx.apps[0].serverSideEmitWithAck("ask", "why");
    expect(answers).to.deep.equal(["app 1 answers why"]);
    const viaCallback = await new Promise<[Error | null, unknown[]]>((resolve) =>
      fx.apps[1].serverSideEmit("ask", "how", (err: Error | null, res: unknown[]) => resolve([err, res])),
    );
    expect(viaCallback).to.deep.equal([null, ["app 0 answers how"]]);
    // the sender never hears itself
    expect(received.map(([i]) => i)).to.deep.equal([1]);
  });

  it("disconnectSockets(true) from the other app-node closes the connections", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const reasons = placed.map((p) => once<[string]>(p.client, "disconnect").then(([r]) => r));
    fx.apps[0].disconnectSockets(true);
    expect(await Promise.all(reasons)).to.deep.equal(placed.map(() => "io server disconnect"));
    await waitFor(
      () => fx.ioNodes.every((n) => n.connectionsCount === 0),
      5_000,
      "the io-nodes to close every connection",
    );
  });
});
