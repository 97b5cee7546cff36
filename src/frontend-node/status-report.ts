import type { NodeRole } from "../cluster/node-registry";
import type { ClusterView, NodeStatus } from "./cluster-view";
import type { NodeFailure } from "./failure-log";

/** Sums over the live nodes of one role. */
export interface RoleTotals {
  nodes: number;
  connections: number;
  messagesPerSecond: number;
}

/** The body of `/status.json`. */
export interface StatusReport {
  /** When the report was made (the frontend's clock). */
  at: number;
  /** The frontend that answers, and the cluster it watches. */
  frontend: { id: string; prefix: string; transport: string; heartbeatInterval: number; nodeTimeout: number };
  nodes: Record<NodeRole, NodeStatus[]>;
  totals: Record<NodeRole, RoleTotals>;
  /** Recent departures (clean or not), newest first. */
  failures: NodeFailure[];
}

const ROLES: NodeRole[] = ["io", "app", "frontend"];

/**
 * Everything the status page shows, from one frontend's view of the cluster.
 *
 * @example
 * const report = statusReport(view, { id, prefix: "sioc", transport: "redis", heartbeatInterval: 1000, nodeTimeout: 5000 });
 * report.totals.io.connections;
 */
export function statusReport(view: ClusterView, frontend: StatusReport["frontend"]): StatusReport {
  const nodes = {} as Record<NodeRole, NodeStatus[]>;
  const totals = {} as Record<NodeRole, RoleTotals>;
  for (const role of ROLES) {
    nodes[role] = view.nodes(role);
    totals[role] = {
      nodes: nodes[role].length,
      connections: nodes[role].reduce((sum, n) => sum + n.connections, 0),
      messagesPerSecond: Math.round(nodes[role].reduce((sum, n) => sum + n.messagesPerSecond, 0) * 10) / 10,
    };
  }
  return { at: Date.now(), frontend, nodes, totals, failures: view.failures() };
}
