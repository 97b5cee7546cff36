/**
 * A Redis Cluster of a test's own on 127.0.0.1: three masters, each with one replica, so that a
 * killed master is replaced by its replica. Short node timeout: a dead master fails over in a few
 * seconds. No persistence; the nodes' cluster files live in a temporary directory.
 */
import { execFile } from "child_process";
import { mkdtemp, rm } from "fs/promises";
import { createServer } from "net";
import { tmpdir } from "os";
import { join } from "path";
import { promisify } from "util";
import Redis from "ioredis";
import { waitFor } from "./index";
import { OwnRedis } from "./redis-server";

const run = promisify(execFile);

/** ms after which an unreachable node is failing (`cluster-node-timeout`). */
const NODE_TIMEOUT_MS = 1_000;

export class RedisClusterSet {
  private constructor(readonly nodes: OwnRedis[], private readonly dir: string) {}

  /**
   * Starts six redis-server processes, joins them with `redis-cli --cluster create` (three
   * masters, one replica each) and resolves once every node says `cluster_state:ok` and every
   * replica follows its master.
   *
   * @example
   * const set = await RedisClusterSet.start();
   * new Server({ cluster: { redis: set.url } });
   * await set.stop();
   */
  static async start(): Promise<RedisClusterSet> {
    const dir = await mkdtemp(join(tmpdir(), "sioc-cluster-"));
    const nodes: OwnRedis[] = [];
    const set = new RedisClusterSet(nodes, dir);
    try {
      for (let i = 0; i < 6; i++) {
        const port = await freeClusterPort(nodes.map((n) => n.port));
        const args = ["--cluster-enabled", "yes", "--cluster-config-file", join(dir, `nodes-${port}.conf`)];
        args.push("--cluster-node-timeout", String(NODE_TIMEOUT_MS), "--dir", dir);
        nodes.push(new OwnRedis(port, args));
      }
      await Promise.all(nodes.map((n) => n.restart()));
      const cli = process.env.REDIS_CLI_BIN || "redis-cli";
      await run(cli, ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "1", "--cluster-yes"]);
      await set.healthy(nodes, 20_000);
      return set;
    } catch (err) {
      await set.stop();
      throw err;
    }
  }

  /** The node URLs, comma-separated: what `--redis` and SOCKET_IO_CLUSTER_REDIS_URL take. */
  get url(): string {
    return this.urls.join(",");
  }

  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /** The node that serves `key`'s slot now (a master). */
  async masterOf(key: string): Promise<OwnRedis> {
    const slot = await this.keySlot(key);
    const slots = (await ask(this.alive()[0], "CLUSTER", "SLOTS")) as Array<[number, number, [string, number]]>;
    const range = slots.find(([from, to]) => slot >= from && slot <= to);
    if (!range) throw new Error(`no node serves slot ${slot}`);
    return this.nodes.find((n) => n.port === range[2][1])!;
  }

  /** Runs one command on every node still running (ACL SETUSER is not replicated); resolves with the replies. */
  async onEveryNode(...args: string[]): Promise<unknown[]> {
    return Promise.all(this.alive().map((n) => ask(n, ...args)));
  }

  /** `CLUSTER KEYSLOT key`, as Redis computes it. */
  async keySlot(key: string): Promise<number> {
    return Number(await ask(this.alive()[0], "CLUSTER", "KEYSLOT", key));
  }

  /**
   * SIGKILLs `master` and resolves once its replica has taken its slots over and every node left
   * says `cluster_state:ok`.
   */
  async killMaster(master: OwnRedis, timeoutMs = 20_000): Promise<void> {
    await master.kill();
    this.dead.add(master);
    await this.healthy(this.alive(), timeoutMs);
  }

  /** Kills every node and removes the temporary directory. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.kill()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private readonly dead = new Set<OwnRedis>();

  private alive(): OwnRedis[] {
    return this.nodes.filter((n) => !this.dead.has(n));
  }

  /** Every node of `nodes` says the cluster is ok, there are three masters and each has a synced replica or none is expected. */
  private async healthy(nodes: OwnRedis[], timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        for (const n of nodes) {
          if (!/cluster_state:ok/.test(String(await ask(n, "CLUSTER", "INFO")))) return false;
        }
        const lines = String(await ask(nodes[0], "CLUSTER", "NODES")).trim().split("\n");
        const masters = lines.filter((l) => / master /.test(l.replace(/myself,/, "")) && !/fail/.test(l.split(" ")[2]));
        if (masters.length !== 3) return false;
        // a replica that lost its master has nothing to follow: only the others must be in sync
        for (const n of nodes) {
          const info = String(await ask(n, "INFO", "replication"));
          if (/role:slave/.test(info) && !/master_link_status:up/.test(info)) return false;
        }
        return true;
      },
      timeoutMs,
      "the Redis Cluster to be ok on every node",
    );
  }
}

/** One command on a short-lived connection to one node (none is left open between tests). */
async function ask(node: OwnRedis, ...args: string[]): Promise<unknown> {
  const conn = new Redis(node.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  conn.on("error", () => undefined);
  try {
    await conn.connect();
    return await conn.call(args[0], ...args.slice(1));
  } finally {
    conn.disconnect();
  }
}

/**
 * A port whose cluster bus port (port + 10000) is free too: ephemeral ports are often above
 * 55535, where the bus port would not exist.
 */
async function freeClusterPort(taken: number[]): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if (taken.some((t) => Math.abs(t - port) === 10_000 || t === port)) continue;
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
  throw new Error("no free port pair for a Redis Cluster node");
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}
