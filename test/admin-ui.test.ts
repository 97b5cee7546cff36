import { expect } from "chai";
import type { Socket as ClientSocket } from "socket.io-client";
import { connect, once, redisUrl, uniquePrefix, waitFor } from "./helpers";
import { killAll, NodeProcess, spawnNode, whoami, WhoAmI } from "./helpers/processes";

/** What the admin UI sends of a socket (`serialize` in @socket.io/admin-ui). */
interface AdminSocket {
  id: string;
  nsp: string;
  transport?: string;
  rooms: string[];
  data: Record<string, unknown>;
  handshake: { address: string; headers: Record<string, unknown> };
}

/**
 * The Socket.IO admin UI (`instrument()` of @socket.io/admin-ui, no serverId given) on a split
 * cluster: two app-nodes, two io-nodes, one Redis. The dashboard is played by a socket.io-client
 * socket on `/admin`, speaking the admin UI's own protocol (its events and commands).
 */
describe("admin UI", function () {
  this.timeout(30_000);

  afterEach(() => killAll());

  it("shows each app-node as a server, every socket of the cluster, and joins, leaves and disconnects sockets of any node", async () => {
    const env = { REDIS_URL: redisUrl(), PREFIX: uniquePrefix("adminui"), ADMIN_UI: "1" };
    const apps: NodeProcess[] = await Promise.all([spawnNode("app-node", env), spawnNode("app-node", env)]);
    const ioNodes = await Promise.all([spawnNode("io-node", env), spawnNode("io-node", env)]);

    // clients in their own rooms on both io-nodes, until both app-nodes own some
    const clients: ClientSocket[] = [];
    const owners = new Map<ClientSocket, WhoAmI>();
    const ioNodeOf = new Map<ClientSocket, string>();
    for (let i = 0; clients.length < 4 || new Set([...owners.values()].map((w) => w.app)).size < 2; i++) {
      expect(i, "clients owned by both app-nodes").to.be.below(20);
      const client = await connect(`http://${ioNodes[i % 2].address}`, { transports: ["websocket"] });
      await client.timeout(5_000).emitWithAck("join", `room-${i}`);
      clients.push(client);
      ioNodeOf.set(client, ioNodes[i % 2].id);
      owners.set(client, await whoami(client));
    }

    // the dashboard; its `/` socket shares the connection, so it tells which app-node owns both
    const main = await connect(`http://${ioNodes[0].address}`, { transports: ["websocket"] });
    const adminApp = (await whoami(main)).app;
    const admin = main.io.socket("/admin"); // connects at once (autoConnect)
    const stats = new Set<string>();
    admin.on("server_stats", (s: { serverId: string }) => stats.add(s.serverId));
    const [all] = await once<[AdminSocket[]]>(admin, "all_sockets");

    // one server per app-node, named after it
    await waitFor(() => stats.size >= 2, 10_000, "server_stats of both app-nodes");
    expect([...stats].sort()).to.deep.equal(apps.map((a) => a.id).sort());

    // every socket of the cluster, with its rooms and (the fixture puts it in socket.data) its io-node
    const listed = new Map(all.filter((s) => s.nsp === "/").map((s) => [s.id, s]));
    for (const client of clients) {
      const entry = listed.get(client.id!);
      expect(entry, `socket ${client.id} listed`).to.exist;
      expect(entry!.rooms).to.have.members(owners.get(client)!.rooms);
      expect(entry!.transport).to.equal("websocket");
      expect(entry!.data.ioNode).to.equal(ioNodeOf.get(client));
      expect(entry!.handshake.address).to.be.a("string").and.not.equal("");
    }
    expect(listed.has(main.id!)).to.equal(true);

    // a socket that connects later is announced, whichever app-node owns it
    const connected = once<[AdminSocket]>(admin, "socket_connected");
    const late = await connect(`http://${ioNodes[1].address}`, { transports: ["websocket"] });
    expect((await connected)[0].id).to.equal(late.id);

    // commands for a socket owned by the other app-node
    const target = clients.find((c) => owners.get(c)!.app !== adminApp)!;
    expect(target, "a client of the other app-node").to.exist;

    const joined = once(admin, "room_joined", { match: (nsp, room, id) => nsp === "/" && room === "vip" && id === target.id });
    admin.emit("join", "/", "vip", target.id);
    await joined;
    expect((await whoami(target)).rooms).to.include("vip");
    const message = once(target, "room-message");
    admin.emit("emit", "/", "vip", "room-message", "for vip");
    expect((await message)[0]).to.equal("for vip");

    const left = once(admin, "room_left", { match: (nsp, room, id) => nsp === "/" && room === "vip" && id === target.id });
    admin.emit("leave", "/", "vip", target.id);
    await left;
    expect((await whoami(target)).rooms).not.to.include("vip");

    // the client forgets its id on disconnect
    const targetId = target.id!;
    const gone = once<[string]>(target, "disconnect");
    const announced = once(admin, "socket_disconnected", { match: (nsp, id) => nsp === "/" && id === targetId });
    admin.emit("_disconnect", "/", false, targetId);
    expect((await gone)[0]).to.equal("io server disconnect");
    await announced;
    // the others stay connected
    expect(clients.filter((c) => c !== target).every((c) => c.connected)).to.equal(true);
  });
});
