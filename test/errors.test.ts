/**
 * The named errors callers may catch: each is a SocketIoClusterError, its message starts with
 * "socket.io-cluster: ", and it comes from a real failure (bad options, a redis-server refusing
 * the node's user, a garbage relay batch).
 */
import { expect } from "chai";
import Redis from "ioredis";
import {
  ClusterOptionsError,
  CodecError,
  createFrontend,
  createIoNode,
  RedisRefusedError,
  Server,
  SocketIoClusterError,
} from "../src";
import { decodeBatch } from "../src/protocol/codec";
import { FAST, onCleanup, uniquePrefix } from "./helpers";
import { OwnRedis } from "./helpers/redis-server";

const PREFIX = "socket.io-cluster: ";

/** The error `fn` throws (fails the test when it throws none). */
function thrownBy(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error, none was thrown");
}

describe("named errors", function () {
  this.timeout(30_000);

  it("ClusterOptionsError for bad options, before anything starts", () => {
    const cases: Array<[() => unknown, RegExp]> = [
      [() => new Server({ cluster: { prefix: "no spaces" } }), /cluster prefix "no spaces" must be 1-64 characters/],
      [() => new Server({ cluster: { heartbeatInterval: 1000, nodeTimeout: 100 } }), /nodeTimeout \(100\) must be larger than heartbeatInterval \(1000\)/],
      [() => createIoNode({ port: 0, requestsTimeout: -1 }), /requestsTimeout must be a positive number/],
      [() => createFrontend({}), /a frontend-node needs the cluster's Redis/],
      [() => new Server({ cluster: { redis: "redis-sentinel://10.0.0.1:26379" } }), /the primary's name is missing/],
      [() => new Server({ cluster: { redis: ["redis://10.0.0.1:7000", "http://10.0.0.2:7001"] } }), /a Redis Cluster node URL starts with redis:\/\//],
    ];
    for (const [fn, message] of cases) {
      const err = thrownBy(fn);
      expect(err, String(message)).to.be.instanceOf(ClusterOptionsError);
      expect(err).to.be.instanceOf(SocketIoClusterError);
      expect(err.name).to.equal("ClusterOptionsError");
      expect(err.message.startsWith(PREFIX), err.message).to.equal(true);
      expect(err.message).to.match(message);
    }
  });

  it("CodecError for a relay batch that is not one", () => {
    const err = thrownBy(() => decodeBatch(Buffer.from("hello, world")));
    expect(err).to.be.instanceOf(CodecError);
    expect(err).to.be.instanceOf(SocketIoClusterError);
    expect(err.name).to.equal("CodecError");
    expect(err.message.startsWith(`${PREFIX}relay codec: `), err.message).to.equal(true);
  });

  describe("RedisRefusedError from a redis-server that refuses the node's user", () => {
    let redis: OwnRedis;
    let admin: Redis;

    before(async () => {
      redis = await OwnRedis.start();
      admin = new Redis(redis.port, { lazyConnect: true });
      await admin.connect();
      // everything but HSET: the registry cannot be written
      await admin.acl("SETUSER", "nohset", "on", ">pw", "~*", "&*", "+@all", "-hset");
      // from here on, the default user needs this password
      await admin.config("SET", "requirepass", "right");
    });

    after(async () => {
      admin?.disconnect();
      await redis?.kill();
    });

    it('a wrong password: reason "credentials", for an app-node and an io-node', async () => {
      const url = `redis://:wrong@127.0.0.1:${redis.port}`;
      const io = new Server({ cluster: { redis: url, prefix: uniquePrefix("err"), ...FAST } });
      onCleanup(() => io.close(), "app-node");
      const ioNode = createIoNode({ port: 0, redis: url, prefix: uniquePrefix("err"), ...FAST });
      onCleanup(() => ioNode.close(), "io-node");
      for (const node of [io, ioNode]) {
        const err = await node.ready().then(() => undefined, (e: Error) => e);
        expect(err).to.be.instanceOf(RedisRefusedError);
        expect(err).to.be.instanceOf(SocketIoClusterError);
        expect((err as RedisRefusedError).reason).to.equal("credentials");
        expect(err!.name).to.equal("RedisRefusedError");
        expect(err!.message).to.match(/^socket\.io-cluster: Redis refused the credentials \(WRONGPASS /);
      }
    });

    it('a user the ACL does not allow a command: reason "permission", naming the command', async () => {
      const url = `redis://nohset:pw@127.0.0.1:${redis.port}`;
      const io = new Server({ cluster: { redis: url, prefix: uniquePrefix("err"), ...FAST } });
      onCleanup(() => io.close(), "app-node");
      const err = await io.ready().then(() => undefined, (e: Error) => e);
      expect(err).to.be.instanceOf(RedisRefusedError);
      expect((err as RedisRefusedError).reason).to.equal("permission");
      expect(err!.message).to.match(/^socket\.io-cluster: the Redis user may not run HSET .*NOPERM/);
    });
  });
});
