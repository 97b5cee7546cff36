import type { NodeRole } from "../cluster/node-registry";
import type { LinkStats } from "../transport/direct/stats";
import type { TransportStats } from "../transport/transport-stats";

/** What one node tells its metrics at scrape time; absent figures are not exported for it. */
export interface MetricsSample {
  /** Connections held (io-node), owned (app-node) or requests in flight (frontend). */
  connections?: number;
  /** io-nodes: client packets read and written, and their size. */
  packetsIn?: number;
  packetsOut?: number;
  bytesIn?: number;
  bytesOut?: number;
  /** io-nodes: relay batches sent that no receipt of their app-node covers yet. */
  queueDepth?: number;
  /** io-nodes: client packets replayed to a new owner. */
  replayed?: number;
  /** io-nodes: connections handed to another app-node (death or rebalancing). */
  rehomed?: number;
  /** io-nodes: sessions restored on a new owner with their socket id kept. */
  recovered?: number;
  /** app-nodes: batches dropped as processed already. */
  duplicates?: number;
  /** Seconds since each other live node's heartbeat last moved. */
  peers: Array<{ id: string; role: NodeRole; age: number }>;
  transport: TransportStats;
  link?: LinkStats;
}

/** A node whose figures the metrics read on each scrape (nothing is computed in between). */
export interface MetricsSource {
  readonly id: string;
  readonly role: NodeRole;
  sample(): MetricsSample;
}
