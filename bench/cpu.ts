/**
 * CPU spent by the servers during a workload: this process (every server of a target runs here)
 * and the private redis-server (its own INFO figures). Divided by the operations, it says what a
 * target costs per operation even when the client process is what limits the rate.
 */
import Redis from "ioredis";

export interface CpuSnapshot {
  process: NodeJS.CpuUsage;
  /** redis-server's user + system CPU, seconds. */
  redis?: number;
}

export interface CpuSpent {
  /** ms of CPU of this process. */
  serverMs: number;
  /** ms of CPU of redis-server, when there is one. */
  redisMs?: number;
}

export class CpuMeter {
  private readonly redis?: Redis;

  constructor(redisUrl?: string) {
    if (redisUrl) {
      this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
      this.redis.on("error", () => undefined);
    }
  }

  private async redisCpu(): Promise<number | undefined> {
    if (!this.redis) return undefined;
    try {
      const info = await this.redis.info("cpu");
      const user = Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]);
      const sys = Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
      return Number.isFinite(user + sys) ? user + sys : undefined;
    } catch {
      return undefined;
    }
  }

  async snapshot(): Promise<CpuSnapshot> {
    const redis = await this.redisCpu();
    return { process: process.cpuUsage(), redis };
  }

  async since(start: CpuSnapshot): Promise<CpuSpent> {
    const p = process.cpuUsage(start.process);
    const redis = start.redis === undefined ? undefined : await this.redisCpu();
    return {
      serverMs: (p.user + p.system) / 1000,
      redisMs: redis === undefined || start.redis === undefined ? undefined : (redis - start.redis) * 1000,
    };
  }

  async close(): Promise<void> {
    await this.redis?.quit().catch(() => this.redis?.disconnect());
  }
}

/** Adds up what several measured phases spent. */
export function addCpu(a: CpuSpent, b: CpuSpent): CpuSpent {
  return {
    serverMs: a.serverMs + b.serverMs,
    redisMs: a.redisMs === undefined || b.redisMs === undefined ? (a.redisMs ?? b.redisMs) : a.redisMs + b.redisMs,
  };
}
