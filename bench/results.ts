/**
 * What a workload measures, and the context it runs in.
 */
import type { Clients } from "./clients";
import type { BenchConfig, WorkloadId } from "./config";
import type { CpuMeter, CpuRole, CpuSpent } from "./cpu";
import type { NodeRole } from "./protocol";
import type { LatencySummary } from "./stats";
import type { RunningTarget } from "./targets";

export interface WorkloadResult {
  workload: WorkloadId;
  target: string;
  /** Which run of the bench (0-based): ratios compare figures of the same run. */
  run: number;
  /** The headline figure: operations per second, or KB of RSS per idle connection. */
  value: number;
  unit: string;
  /** Operations measured (connections, round trips, deliveries). */
  count: number;
  elapsedMs: number;
  latency?: LatencySummary;
  /** µs of CPU per operation: servers + Redis in total and per role; clients apart. */
  cpu?: { total: number; byRole: Partial<Record<CpuRole, number>>; clients: number };
  /**
   * Idle connections: marginal memory per connection between `from` and `to` connections held
   * (see idle.ts), in KB, summed over the server processes: RSS per role (the total is `value`),
   * heapUsed in total and per role; `young`: the young generation's resident growth, left out of RSS.
   */
  memory?: {
    from: number;
    to: number;
    rss: Partial<Record<NodeRole, number>>;
    heap: number;
    heapByRole: Partial<Record<NodeRole, number>>;
    young: number;
  };
  /** Anything that makes the figure not the whole story: a time cap, losses, failures. */
  notes: string[];
}

export interface WorkloadContext {
  target: RunningTarget;
  clients: Clients;
  meter: CpuMeter;
  cfg: BenchConfig;
  run: number;
}

/** CPU per operation, from what a workload spent. */
export function perOp(cpu: CpuSpent, ops: number): WorkloadResult["cpu"] {
  if (ops <= 0) return undefined;
  const byRole: Partial<Record<CpuRole, number>> = {};
  for (const [role, us] of Object.entries(cpu.byRole) as Array<[CpuRole, number]>) byRole[role] = us / ops;
  return { total: cpu.total / ops, byRole, clients: cpu.clients / ops };
}
