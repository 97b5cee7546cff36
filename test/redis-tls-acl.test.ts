/**
 * TLS and ACL: a cluster over a redis-server of its own that only speaks TLS, as a Redis user
 * confined to the cluster's prefix (keys `~prefix:*`, channels `&prefix:*`) and to the commands
 * the README's ACL lists. Redis's ACL LOG shows any command, key or channel it had to deny, so the
 * whole path (connections, acks, a broadcast over two app-nodes, a session restored after an
 * app-node's SIGKILL, the frontend's /config.json) proves the ACL is enough. A refused user (wrong
 * password, a missing command) fails a node's start with a clear message, not a hang.
 */
import { spawn } from "child_process";
import { join } from "path";
import { expect } from "chai";
import Redis from "ioredis";
import { createFrontend, createIoNode, RedisRefusedError, Server } from "../src";
import type { ConfigJson } from "../src";
import { ClientSocket, connect, FAST, onCleanup, portOf, request, uniquePrefix, waitFor } from "./helpers";
import { killAll, NodeProcess, spawnNode, whoami } from "./helpers/processes";
import { CLUSTER_COMMANDS, clusterAcl, TlsRedis } from "./helpers/tls-redis";
import { RedisKeys, sessionKey } from "../src/transport/keys";

const PREFIX = uniquePrefix("tls");
const USER = "cluster";
const PASSWORD = "s3cret-pw";

describe("Redis over TLS with an ACL user", function () {
  this.timeout(60_000);
  let redis: TlsRedis;
  let admin: Redis;

  before(async () => {
    redis = await TlsRedis.start([
      { name: USER, password: PASSWORD, rules: clusterAcl(PREFIX) },
      // everything but HSET: the registry cannot be written
      { name: "nohset", password: PASSWORD, rules: clusterAcl(PREFIX, CLUSTER_COMMANDS.filter((c) => c !== "hset")) },
    ]);
    admin = redis.admin();
  });

  after(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  /** The options-object form of the connection: host, port, user, password and `tls: { ca }`. */
  const options = (password = PASSWORD, username = USER) => ({
    host: "127.0.0.1",
    port: redis.port,
    username,
    password,
    tls: { ca: redis.ca },
  });

  /** Env of a fixture process: the rediss:// URL, trusting the test's CA. */
  const childEnv = (extra: Record<string, string> = {}) => ({
    REDIS_URL: redis.url(USER, PASSWORD),
    PREFIX,
    NODE_EXTRA_CA_CERTS: redis.caFile,
    ...extra,
  });

  it("runs the whole path: acks, a broadcast over two app-nodes, a session restored after a SIGKILL, /config.json", async () => {
    onCleanup(killAll, "app-node processes");
    await admin.acl("LOG", "RESET");
    // app-nodes in processes of their own, by rediss://user:password@ URL; the io-node by options
    const apps: NodeProcess[] = await Promise.all([spawnNode("app-node", childEnv({ RECOVERY: "1" })), spawnNode("app-node", childEnv({ RECOVERY: "1" }))]);
    const ioNode = createIoNode({ port: 0, redis: options(), prefix: PREFIX, ...FAST });
    onCleanup(() => ioNode.close(), "io-node");
    await ioNode.ready();
    // the frontend with an ioredis client of the app's own
    const own = new Redis(options());
    onCleanup(() => void own.disconnect(), "own ioredis client");
    const frontend = createFrontend({ port: 0, redis: own, prefix: PREFIX, ...FAST });
    onCleanup(() => frontend.close(), "frontend");
    await frontend.ready();

    const address = `http://127.0.0.1:${await portOf(ioNode.httpServer)}`;
    const clients: ClientSocket[] = [];
    const owners = new Map<string, ClientSocket>();
    // connections go to the app-nodes in turn: a few give one client on each
    while (owners.size < 2 && clients.length < 8) {
      const client = await connect(address);
      clients.push(client);
      const { app } = await whoami(client);
      if (!owners.has(app)) owners.set(app, client);
    }
    expect(owners.size, "a client on each app-node").to.equal(2);
    const [[doomedId, client], [, other]] = [...owners];
    expect(await client.timeout(5_000).emitWithAck("echo", "over tls")).to.equal("over tls");

    for (const c of [client, other]) await c.timeout(5_000).emitWithAck("join", "lobby");
    await client.timeout(5_000).emitWithAck("set", "nickname", "ada");
    const received = new Map<ClientSocket, unknown[]>([[client, []], [other, []]]);
    for (const [c, list] of received) c.on("room-message", (m) => list.push(m));
    client.emit("to-room", "lobby", "hello both");
    await waitFor(() => [...received.values()].every((l) => l.includes("hello both")), 5_000, "the broadcast on both app-nodes");

    // the owner has snapshotted the session, data and all, under the prefix: kill it
    const before = await whoami(client);
    const snapshotted = async () => {
      const keys = await admin.keys(new RedisKeys(PREFIX).scope(sessionKey("*")));
      const values = await Promise.all(keys.map((k) => admin.getBuffer(k)));
      return values.some((v) => v?.includes("ada"));
    };
    await waitFor(snapshotted, 5_000, "the session snapshot");
    await apps.find((a) => a.id === doomedId)!.kill("SIGKILL");
    other.emit("to-room", "lobby", "while you were away");
    await waitFor(() => received.get(client)!.includes("while you were away"), 10_000, "the missed broadcast, replayed");
    const after = await whoami(client);
    expect(after.app).to.not.equal(doomedId);
    expect(after).to.include({ id: before.id, recovered: true });
    expect(after.data).to.deep.equal({ nickname: "ada" });

    const res = await request(`http://127.0.0.1:${await portOf(frontend.httpServer!)}/config.json`);
    const { servers } = JSON.parse(res.body) as ConfigJson;
    expect(servers.map((s) => s.id)).to.deep.equal([ioNode.id]);

    // Redis denied nothing on the way, and every key lives under the prefix
    expect(await admin.acl("LOG")).to.deep.equal([]);
    const keys = await admin.keys("*");
    expect(keys.filter((k) => !k.startsWith(`${PREFIX}:`))).to.deep.equal([]);
    expect(keys).to.include(new RedisKeys(PREFIX).nodes);
  });

  it("a wrong password fails new Server(...).ready() and createIoNode().ready() with a clear error", async () => {
    const io = new Server({ cluster: { redis: options("wrong"), prefix: PREFIX, ...FAST } });
    onCleanup(() => io.close(), "app-node");
    const ioNode = createIoNode({ port: 0, redis: options("wrong"), prefix: PREFIX, ...FAST });
    onCleanup(() => ioNode.close(), "io-node");
    for (const node of [io, ioNode]) {
      const err = await node.ready().then(() => undefined, (e: Error) => e);
      expect(err).to.be.instanceOf(RedisRefusedError);
      expect(err!.message).to.match(/^socket\.io-cluster: Redis refused the credentials \(WRONGPASS /);
    }
  });

  it("a wrong password in a rediss:// URL makes the CLI exit with the message", async () => {
    const cli = spawn(process.execPath, [join(__dirname, "..", "dist", "cli.js"), "io-node", "--port", "0", "--redis", redis.url(USER, "wrong"), "--prefix", PREFIX], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: redis.caFile },
      stdio: ["ignore", "ignore", "pipe"],
    });
    onCleanup(() => void (cli.exitCode === null && cli.kill("SIGKILL")), "cli");
    let stderr = "";
    cli.stderr!.on("data", (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => cli.once("exit", resolve));
    expect(code).to.equal(1);
    expect(stderr).to.match(/socket\.io-cluster io-node: Redis refused the credentials \(WRONGPASS /);
    expect(stderr, "the password is not printed").to.not.include("wrong@");
  });

  it("a user lacking a command fails the start with a message naming it", async () => {
    const io = new Server({ cluster: { redis: options(PASSWORD, "nohset"), prefix: PREFIX, ...FAST } });
    onCleanup(() => io.close(), "app-node");
    const err = await io.ready().then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(RedisRefusedError);
    expect(err!.message).to.match(/the Redis user may not run HSET .*NOPERM/);
  });
});
