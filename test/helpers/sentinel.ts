/**
 * A Redis primary, one replica and three Sentinels of a test's own, all on 127.0.0.1: the smallest
 * deployment that can fail its primary over (a quorum of 2 out of 3 Sentinels agrees it is down).
 */
import { mkdtemp, rm, writeFile } from "fs/promises";
import { tmpdir } from "os";
import { join } from "path";
import Redis from "ioredis";
import { waitFor } from "./index";
import { OwnRedis } from "./redis-server";

/** The primary's name in the Sentinels' configuration. */
export const PRIMARY_NAME = "mymaster";

export class SentinelSet {
  private constructor(
    readonly primary: OwnRedis,
    readonly replica: OwnRedis,
    readonly sentinels: OwnRedis[],
    private readonly dir: string,
  ) {}

  /**
   * Starts the five servers and resolves once every Sentinel knows the replica and the two other
   * Sentinels (so that they can agree on a failover), and the replica is in sync.
   *
   * @example
   * const set = await SentinelSet.start();
   * await set.primary.kill(); await set.waitForPromotion();
   * await set.stop();
   */
  static async start(): Promise<SentinelSet> {
    const dir = await mkdtemp(join(tmpdir(), "sioc-sentinel-"));
    // the replica keeps the primary's snapshot on disk: in the temporary directory, not the cwd
    const primary = await OwnRedis.start(["--dir", dir]);
    const replica = await OwnRedis.start(["--dir", dir, "--replicaof", "127.0.0.1", String(primary.port)]);
    await inSync(replica);
    const sentinels = await Promise.all(
      [0, 1, 2].map(async (i) => {
        const file = join(dir, `sentinel-${i}.conf`);
        // short timings: a dead primary is down after 1 s and replaced within a few
        const conf = [
          `sentinel monitor ${PRIMARY_NAME} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${PRIMARY_NAME} 1000`,
          `sentinel failover-timeout ${PRIMARY_NAME} 5000`,
        ];
        await writeFile(file, conf.join("\n") + "\n");
        return OwnRedis.start(["--sentinel"], file);
      }),
    );
    const set = new SentinelSet(primary, replica, sentinels, dir);
    await set.discovered();
    return set;
  }

  /** `redis-sentinel://` URL of the three Sentinels, for `cluster.redis` and REDIS_URL. */
  get url(): string {
    return `redis-sentinel://${this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(",")}?name=${PRIMARY_NAME}`;
  }

  /** The port of the primary according to the first Sentinel that answers. */
  async primaryPort(): Promise<number> {
    const addr = (await this.askAny("get-master-addr-by-name", PRIMARY_NAME)) as [string, string];
    return Number(addr[1]);
  }

  /**
   * Resolves with the new primary's port once every Sentinel still running names the replica as
   * the primary (after the primary was killed).
   */
  async waitForPromotion(timeoutMs = 20_000): Promise<number> {
    await waitFor(
      async () => {
        const ports = await Promise.all(this.sentinels.map((s) => ask(s, "get-master-addr-by-name", PRIMARY_NAME)));
        return ports.every((a) => Number((a as string[])[1]) === this.replica.port);
      },
      timeoutMs,
      "the Sentinels to promote the replica",
    );
    return this.replica.port;
  }

  /** Asks the Sentinels to fail the (live) primary over to the replica: `SENTINEL FAILOVER`. */
  async failover(): Promise<void> {
    await this.askAny("failover", PRIMARY_NAME);
  }

  /** Kills every server and removes the Sentinels' configuration files. */
  async stop(): Promise<void> {
    await Promise.all([this.primary, this.replica, ...this.sentinels].map((s) => s.kill()));
    await rm(this.dir, { recursive: true, force: true });
  }

  private async discovered(): Promise<void> {
    await waitFor(
      async () => {
        for (const s of this.sentinels) {
          const replicas = (await ask(s, "replicas", PRIMARY_NAME)) as unknown[];
          const peers = (await ask(s, "sentinels", PRIMARY_NAME)) as unknown[];
          if (replicas.length < 1 || peers.length < this.sentinels.length - 1) return false;
        }
        return true;
      },
      15_000,
      "the Sentinels to know the replica and each other",
    );
  }

  private async askAny(...args: string[]): Promise<unknown> {
    let last: unknown;
    for (const s of this.sentinels) {
      try {
        return await ask(s, ...args);
      } catch (err) {
        last = err;
      }
    }
    throw last;
  }
}

/** One SENTINEL command on a short-lived connection (none is left open between tests). */
async function ask(sentinel: OwnRedis, ...args: string[]): Promise<unknown> {
  const conn = new Redis(sentinel.port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  conn.on("error", () => undefined);
  try {
    await conn.connect();
    return await conn.call("SENTINEL", ...args);
  } finally {
    conn.disconnect();
  }
}

/** Resolves once the replica has loaded the primary's data and follows it. */
async function inSync(replica: OwnRedis): Promise<void> {
  const conn = new Redis(replica.port, "127.0.0.1");
  try {
    await waitFor(async () => /master_link_status:up/.test(await conn.info("replication")), 10_000, "the replica to sync");
  } finally {
    conn.disconnect();
  }
}
