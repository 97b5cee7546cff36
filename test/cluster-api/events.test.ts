/**
 * The Socket.IO server API across a cluster: events and payloads. 2 io-nodes and 2 app-nodes (see ./harness.ts).
 */
import { expect } from "chai";
import { once } from "../helpers";
import { cluster, spread } from "./harness";

describe("cluster API: events and payloads", function () {
  this.timeout(15_000);

  it("onAny / onAnyOutgoing on server sockets, and onAny on the client", async () => {
    const seen: unknown[] = [];
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.onAny((event, ...args) => seen.push(["in", event, ...args]));
          socket.onAnyOutgoing((event, ...args) => seen.push(["out", event, ...args]));
          socket.on("trigger", () => socket.emit("triggered", 42));
        }),
    });
    const placed = await spread(fx, 2);
    for (const p of placed) {
      const clientSeen: unknown[] = [];
      p.client.onAny((event, ...args) => clientSeen.push([event, ...args]));
      const got = once(p.client, "triggered");
      p.client.emit("trigger", "x", { y: 1 });
      await got;
      expect(clientSeen).to.deep.equal([["triggered", 42]]);
    }
    expect(seen).to.deep.equal([
      ["in", "trigger", "x", { y: 1 }],
      ["out", "triggered", 42],
      ["in", "trigger", "x", { y: 1 }],
      ["out", "triggered", 42],
    ]);
  });

  it("binary payloads in events, acks and broadcasts", async () => {
    const fx = await cluster({
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.on("bin", (a: Buffer, obj: { inner: Buffer; list: Buffer[] }, cb: (...x: unknown[]) => void) => {
            cb(Buffer.concat([a, obj.inner, ...obj.list]), { isBuffer: Buffer.isBuffer(a) && Buffer.isBuffer(obj.inner) });
          });
          socket.on("bin-broadcast", (b: Buffer) => io.emit("bin-out", { payload: b, text: "with text" }));
        }),
    });
    const placed = await spread(fx, 4);
    const bytes = (b: unknown) => [...Buffer.from(b as Buffer)];
    for (const p of placed) {
      const answer = await new Promise<unknown[]>((resolve) =>
        p.client.emit(
          "bin",
          Buffer.from([0, 1, 2]),
          { inner: Buffer.from([255]), list: [Buffer.from("é"), Buffer.alloc(0)] },
          (...args: unknown[]) => resolve(args),
        ),
      );
      expect(bytes(answer[0])).to.deep.equal([0, 1, 2, 255, ...Buffer.from("é")]);
      expect(answer[1]).to.deep.equal({ isBuffer: true });
    }
    const big = Buffer.alloc(200_000, 7);
    const got = placed.map((p) => once<[{ payload: Buffer; text: string }]>(p.client, "bin-out"));
    placed[1].client.emit("bin-broadcast", big);
    for (const [msg] of await Promise.all(got)) {
      expect(msg.text).to.equal("with text");
      expect(Buffer.compare(Buffer.from(msg.payload), big)).to.equal(0);
    }
    // server → client ack carrying binary
    const c = placed[2].client;
    c.on("give", (cb: (b: Buffer) => void) => cb(Buffer.from([4, 2])));
    expect(bytes(await fx.serverSocket(c.id!).emitWithAck("give"))).to.deep.equal([4, 2]);
  });

  it("messages close to maxHttpBufferSize (1 MB) cross the cluster both ways", async () => {
    const fx = await cluster({
      setup: (io) => io.on("connection", (s) => s.on("size", (x: string | Buffer, cb: (n: number, back: unknown) => void) => cb(x.length, x))),
    });
    const placed = await spread(fx, 2, { transports: ["websocket"] });
    const text = "é".repeat(450_000); // 900 kB of UTF-8
    const bin = Buffer.alloc(900_000, 1);
    for (const p of placed) {
      const [n, back] = await new Promise<[number, string]>((resolve) => p.client.emit("size", text, (...a: [number, string]) => resolve(a)));
      expect(n).to.equal(text.length);
      expect(back === text).to.equal(true);
      const [m, backBin] = await new Promise<[number, Buffer]>((resolve) => p.client.emit("size", bin, (...a: [number, Buffer]) => resolve(a)));
      expect(m).to.equal(bin.length);
      expect(Buffer.compare(Buffer.from(backBin), bin)).to.equal(0);
    }
  });

  it('send() and the "message" event, both ways', async () => {
    const fx = await cluster({
      setup: (io) => io.on("connection", (socket) => socket.on("message", (...args: unknown[]) => socket.send("re:", ...args))),
    });
    const placed = await spread(fx, 2);
    for (const p of placed) {
      const got = once(p.client, "message");
      p.client.send("hello", { n: 1 });
      expect(await got).to.deep.equal(["re:", "hello", { n: 1 }]);
    }
  });

  it("binary payloads over polling only", async () => {
    const fx = await cluster();
    for (const io of fx.apps) {
      io.on("connection", (socket) => socket.on("bin-echo", (b: Buffer, cb: (x: Buffer) => void) => cb(Buffer.concat([b, b]))));
    }
    const placed = await spread(fx, 2, { transports: ["polling"] });
    for (const p of placed) {
      expect(p.client.io.engine.transport.name).to.equal("polling");
      const answer = (await p.client.emitWithAck("bin-echo", Buffer.from([0, 255, 10]))) as Buffer;
      expect([...Buffer.from(answer)]).to.deep.equal([0, 255, 10, 0, 255, 10]);
      const pushed = once<[Buffer]>(p.client, "bin-push");
      fx.apps[1 - p.app].emit("bin-push", Buffer.from("é✓"));
      expect(Buffer.from((await pushed)[0]).toString()).to.equal("é✓");
    }
  });
});
