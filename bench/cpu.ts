/**
 * CPU time spent during a workload, per process:
 *  - server processes report `process.cpuUsage()` (getrusage: user + system of every thread, µs)
 *    over IPC;
 *  - redis-server and the client processes are read from /proc: the sum over their threads of
 *    /proc/<pid>/task/<tid>/schedstat (ns on CPU), which is exact where /proc/<pid>/stat's
 *    utime + stime count whole clock ticks (10 ms, too coarse for a few-second workload); stat is
 *    the fallback when schedstat is missing.
 * Divided by the operations, the servers' + Redis's sum says what a target costs per operation
 * even where the clients, on the same cores, limit the rate. Client CPU is kept apart.
 */
import { readdirSync, readFileSync } from "fs";
import type { NodeRole } from "./protocol";
import type { RunningTarget } from "./targets";

/** clock ticks per second of /proc/<pid>/stat: 100 on every Linux build the bench runs on. */
const CLK_TCK = 100;

/** CPU time of a process by pid, µs; undefined when it is gone or /proc is missing. */
export function procCpuUs(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    }
    if (Number.isFinite(ns)) return ns / 1000;
  } catch {
    // fall through to stat
  }
  try {
    // fields after the command name, which may hold spaces: utime and stime are the 12th and 13th
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) / CLK_TCK) * 1e6;
  } catch {
    return undefined;
  }
}

export type CpuRole = NodeRole | "redis";

export interface CpuSnapshot {
  servers: number[];
  redis?: number;
  clients: number[];
}

/** µs of CPU spent between two snapshots. */
export interface CpuSpent {
  /** Per role, summed over the target's processes of that role (and redis-server). */
  byRole: Partial<Record<CpuRole, number>>;
  /** Servers + Redis. */
  total: number;
  clients: number;
}

export class CpuMeter {
  constructor(
    private readonly target: RunningTarget,
    private readonly redisPid: number | undefined,
    private readonly clientPids: () => number[],
  ) {}

  async snapshot(): Promise<CpuSnapshot> {
    const stats = await Promise.all(this.target.processes.map((p) => p.stats()));
    return {
      servers: stats.map((s) => s.cpu.user + s.cpu.system),
      redis: this.usesRedis() && this.redisPid ? procCpuUs(this.redisPid) : undefined,
      clients: this.clientPids().map((pid) => procCpuUs(pid) ?? 0),
    };
  }

  async since(start: CpuSnapshot): Promise<CpuSpent> {
    const now = await this.snapshot();
    const byRole: CpuSpent["byRole"] = {};
    this.target.processes.forEach((p, i) => {
      byRole[p.role] = (byRole[p.role] ?? 0) + (now.servers[i] - start.servers[i]);
    });
    if (now.redis !== undefined && start.redis !== undefined) byRole.redis = now.redis - start.redis;
    const total = Object.values(byRole).reduce((a, b) => a + (b ?? 0), 0);
    const clients = now.clients.reduce((a, b, i) => a + b - (start.clients[i] ?? b), 0);
    return { byRole, total, clients };
  }

  private usesRedis(): boolean {
    return this.target.processes.some((p) => p.kind !== "plain" && p.kind !== "embedded");
  }
}

/** Adds up what several measured phases spent. */
export function addCpu(a: CpuSpent, b: CpuSpent): CpuSpent {
  const byRole: CpuSpent["byRole"] = { ...a.byRole };
  for (const [role, us] of Object.entries(b.byRole) as Array<[CpuRole, number]>) byRole[role] = (byRole[role] ?? 0) + us;
  return { byRole, total: a.total + b.total, clients: a.clients + b.clients };
}

export const NO_CPU: CpuSpent = { byRole: {}, total: 0, clients: 0 };
