/**
 * The Socket.IO server API across a cluster: namespaces. 2 io-nodes and 2 app-nodes (see ./harness.ts).
 */
import { expect } from "chai";
import { createClient, once, waitFor, waitForPeers } from "../helpers";
import { cluster } from "./harness";

describe("cluster API: namespaces", function () {
  this.timeout(15_000);

  it("a dynamic namespace by regex", async () => {
    const fx = await cluster({
      setup: (io, i) =>
        io.of(/^\/dyn-\d+$/).on("connection", (socket) => {
          socket.on("where", (cb: (w: unknown) => void) => cb({ nsp: socket.nsp.name, parent: "regex", app: i }));
        }),
    });
    const apps = new Set<number>();
    for (let i = 0; i < 4; i++) {
      const client = await fx.connect(i % 2, {}, "/dyn-42");
      const where = (await client.emitWithAck("where")) as { nsp: string; parent: string; app: number };
      expect(where).to.include({ nsp: "/dyn-42", parent: "regex" });
      apps.add(where.app);
    }
    expect(apps.size).to.equal(2);
    const refused = createClient(`${fx.urls[0]}/dyn-abc`);
    const [err] = await once<[Error]>(refused, "connect_error");
    expect(err.message).to.equal("Invalid namespace");
  });

  it("a dynamic namespace by function (with the client's auth)", async () => {
    const fx = await cluster({
      setup: (io) =>
        io
          .of((name, auth, next) => next(null, name.startsWith("/fn-") && auth.pass === "yes"))
          .on("connection", (socket) => socket.on("where", (cb: (w: string) => void) => cb(socket.nsp.name))),
    });
    for (let i = 0; i < 2; i++) {
      const client = await fx.connect(i, { auth: { pass: "yes" } }, `/fn-${i}`);
      expect(await client.emitWithAck("where")).to.equal(`/fn-${i}`);
    }
    const refused = createClient(`${fx.urls[1]}/fn-9`, { auth: { pass: "no" } });
    const [err] = await once<[Error]>(refused, "connect_error");
    expect(err.message).to.equal("Invalid namespace");
  });

  it("a static namespace: broadcasts from the other app-node, and isolation from /", async () => {
    const fx = await cluster({
      setup: (io) => io.of("/chat").on("connection", (s) => s.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x))),
    });
    await waitForPeers(fx.apps, "/chat");
    const chat = await fx.connect(0, {}, "/chat");
    const main = await fx.connect(1);
    const mainGot: unknown[] = [];
    main.on("chat-news", (x) => mainGot.push(x));
    const owner = fx.ownerOf(chat.id!, "/chat");
    const other = fx.apps.find((a) => a !== owner)!;
    const got = once(chat, "chat-news");
    other.of("/chat").emit("chat-news", "hi");
    expect(await got).to.deep.equal(["hi"]);
    await main.emitWithAck("echo", 0);
    expect(mainGot).to.deep.equal([]);
    expect((await other.of("/chat").fetchSockets()).map((s) => s.id)).to.deep.equal([chat.id]);
  });

  it("one connection with several namespaces: all on one app-node; disconnect(true) closes them all", async () => {
    const fx = await cluster({
      setup: (io, i) => {
        io.of("/admin").on("connection", (socket) => {
          socket.on("where", (cb: (w: unknown) => void) => cb({ app: i, nsp: socket.nsp.name }));
          socket.on("close-all", () => socket.disconnect(true));
        });
      },
    });
    await waitForPeers(fx.apps, "/admin");
    const main = await fx.connect(1);
    const admin = main.io.socket("/admin");
    await once(admin, "connect");
    const whereMain = (await main.emitWithAck("whoami")) as { app: number };
    const whereAdmin = (await admin.emitWithAck("where")) as { app: number; nsp: string };
    expect(whereAdmin).to.deep.equal({ app: whereMain.app, nsp: "/admin" });
    const mainGone = once<[string]>(main, "disconnect");
    const adminGone = once<[string]>(admin, "disconnect");
    admin.emit("close-all");
    expect((await adminGone)[0]).to.equal("io server disconnect");
    // as in plain socket.io, every namespace of the connection is disconnected by the server
    expect((await mainGone)[0]).to.equal("io server disconnect");
    await waitFor(() => fx.ioNodes[1].connectionsCount === 0, 5_000, "the io-node to close the connection");
  });

  it("a namespace's serverSideEmit stays in that namespace", async () => {
    const fx = await cluster();
    await waitForPeers(fx.apps, "/jobs");
    const got: unknown[] = [];
    fx.apps[1].of("/jobs").on("job", (x: unknown, cb: (r: string) => void) => {
      got.push(x);
      cb("done");
    });
    fx.apps[1].on("job", () => got.push("wrong namespace"));
    expect(await fx.apps[0].of("/jobs").serverSideEmitWithAck("job", 7)).to.deep.equal(["done"]);
    expect(got).to.deep.equal([7]);
  });
});
