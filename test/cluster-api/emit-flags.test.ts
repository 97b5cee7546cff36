/**
 * The Socket.IO server API across a cluster: volatile and compress. 2 io-nodes and 2 app-nodes (see ./harness.ts).
 */
import { expect } from "chai";
import type { Socket as ServerSocket } from "socket.io";
import { Server as PlainServer } from "socket.io";
import { httpServer, once, pollingHandshake, request, track, waitFor } from "../helpers";
import { cluster, find, spread } from "./harness";

describe("cluster API: volatile and compress", function () {
  this.timeout(15_000);

  it("volatile emits reach connected clients", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    const got = placed.map((p) => once(p.client, "v"));
    fx.apps[0].volatile.emit("v", "broadcast");
    expect(await Promise.all(got)).to.deep.equal(placed.map(() => ["broadcast"]));
    const one = find(placed, 1);
    const single = once(one, "v");
    fx.serverSocket(one.id!).volatile.emit("v", "single");
    expect(await single).to.deep.equal(["single"]);
  });

  it("volatile emits are dropped while the client cannot receive, as in plain socket.io", async () => {
    // a hand-driven polling client: between two GETs its transport is not writable
    async function scenario(url: string, socketOf: (id: string) => ServerSocket): Promise<string[]> {
      const hs = await pollingHandshake(url);
      const base = `${url}/socket.io/?EIO=4&transport=polling&sid=${hs.sid}`;
      expect((await request(base, { method: "POST", body: "40" })).body).to.equal("ok");
      const connected = await request(base);
      const id = (JSON.parse(connected.body.slice(connected.body.indexOf("{"))) as { sid: string }).sid;
      const socket = await waitFor(() => socketOf(id));
      socket.volatile.emit("v", "dropped");
      socket.emit("n", "kept");
      // once the later, non-volatile packet waits in Engine.IO's buffer, poll
      await waitFor(() => bufferedFor(hs.sid!), 5_000, "the kept packet to be buffered");
      const polled = await request(base);
      return polled.body.split("\x1e");
    }
    const fx = await cluster();
    const bufferedFor = (sid: string): boolean =>
      [...fx.ioNodes.map((n) => n.engine), ...plainEngines].some((engine) => {
        const sock = (engine as unknown as { clients: Record<string, { writeBuffer: unknown[] }> }).clients[sid];
        return !!sock && sock.writeBuffer.length > 0;
      });
    const plainEngines: PlainServer["engine"][] = [];
    const ours = await scenario(fx.urls[1], (id) => fx.apps.map((a) => a.of("/").sockets.get(id)).find(Boolean)!);
    const { server, url } = await httpServer();
    const plain = track(new PlainServer(server));
    plainEngines.push(plain.engine);
    const theirs = await scenario(url, (id) => plain.of("/").sockets.get(id)!);
    expect(theirs).to.deep.equal(['42["n","kept"]']);
    expect(ours).to.deep.equal(theirs);
  });

  it("compress(false) reaches the io-node's write; the default compresses", async () => {
    const fx = await cluster();
    const placed = await spread(fx, 4);
    // watch what each io-node asks Engine.IO to do with its writes
    const writes: Array<{ data: unknown; compress: unknown }> = [];
    for (const node of fx.ioNodes) {
      const clients = (node.engine as unknown as { clients: Record<string, { write: (...a: any[]) => unknown }> }).clients;
      for (const sock of Object.values(clients)) {
        const original = sock.write.bind(sock);
        sock.write = (data: unknown, opts?: { compress?: boolean }, cb?: unknown) => {
          writes.push({ data, compress: opts?.compress });
          return original(data, opts, cb);
        };
      }
    }
    const client = find(placed, 1);
    const socket = fx.serverSocket(client.id!);
    const a = once(client, "uncompressed");
    socket.compress(false).emit("uncompressed", 1);
    await a;
    const b = once(client, "compressed");
    socket.emit("compressed", 2);
    await b;
    const all = placed.map((p) => once(p.client, "bcast"));
    fx.apps[0].compress(false).emit("bcast", 3);
    await Promise.all(all);
    const byEvent = (name: string) => writes.filter((w) => typeof w.data === "string" && w.data.includes(`"${name}"`));
    expect(byEvent("uncompressed").map((w) => w.compress)).to.deep.equal([false]);
    expect(byEvent("compressed").map((w) => w.compress)).to.deep.equal([true]);
    expect(byEvent("bcast").map((w) => w.compress)).to.deep.equal(placed.map(() => false));
  });
});
