/**
 * The Socket.IO server API across a cluster: disconnect reasons. 2 io-nodes and 2 app-nodes (see ./harness.ts).
 */
import { expect } from "chai";
import type { Socket as ServerSocket } from "socket.io";
import { ClientSocket, once } from "../helpers";
import { cluster, spread } from "./harness";

describe("cluster API: disconnect reasons", function () {
  this.timeout(15_000);

  async function reasonFor(
    act: (client: ClientSocket, socket: ServerSocket) => void,
  ): Promise<{ server: string; client: string }> {
    const fx = await cluster();
    const placed = await spread(fx, 2);
    // a client of the second io-node, so that everything crosses Redis
    const client = placed[1].client;
    const socket = fx.serverSocket(client.id!);
    const clientReason = once<[string]>(client, "disconnect").then(([r]) => r);
    const serverReason = once<[string]>(socket, "disconnect").then(([r]) => r);
    act(client, socket);
    const server = await serverReason;
    // the client hears of it too, whichever side ended it
    const c = await clientReason;
    // the other client is unaffected
    expect(await placed[0].client.emitWithAck("echo", "ok")).to.equal("ok");
    return { server, client: c };
  }

  it('"client namespace disconnect" when the client disconnects', async () => {
    const r = await reasonFor((client) => client.disconnect());
    expect(r).to.deep.equal({ server: "client namespace disconnect", client: "io client disconnect" });
  });

  it('"server namespace disconnect" when the server disconnects the socket', async () => {
    const r = await reasonFor((_c, socket) => socket.disconnect());
    expect(r).to.deep.equal({ server: "server namespace disconnect", client: "io server disconnect" });
  });

  it('"server namespace disconnect" and a closed connection with disconnect(true)', async () => {
    const r = await reasonFor((_c, socket) => socket.disconnect(true));
    expect(r).to.deep.equal({ server: "server namespace disconnect", client: "io server disconnect" });
  });

  it('"transport close" when the client closes its engine', async () => {
    const r = await reasonFor((client) => client.io.engine.close());
    expect(r.server).to.equal("transport close");
  });
});
