import { monitorEventLoopDelay, IntervalHistogram } from "perf_hooks";
import type { Counter, Gauge, Registry } from "prom-client";
import { promClient } from "./prom-client";
import type { MetricsSample, MetricsSource } from "./metrics-source";

/** Every metric name starts with it. */
export const METRIC_PREFIX = "socket_io_cluster_";

type Labels = { node: string; role: string };
type Read = (s: MetricsSample) => number | undefined;

/** A figure of every node: its name after {@link METRIC_PREFIX}, its help, and where a node's sample has it. */
type Figure = [name: string, help: string, read: Read];

/** Levels: set to what each node reports when the registry is scraped. */
const GAUGES: readonly Figure[] = [
  ["connections", "Client connections held (io-node), owned (app-node) or HTTP requests in flight (frontend).", (s) => s.connections],
  ["relay_queue_depth", "Relay batches sent that no receipt of their app-node covers yet, kept for replay.", (s) => s.queueDepth],
];

/** Totals: each node's own counters, of the node itself, of its transport and of its direct links. */
const COUNTERS: readonly Figure[] = [
  ["packets_received_total", "Engine.IO packets received from clients.", (s) => s.packetsIn],
  ["packets_sent_total", "Engine.IO packets written to clients (broadcasts count once per member).", (s) => s.packetsOut],
  ["bytes_received_total", "Size of the packets received from clients (characters of text packets, bytes of binary ones).", (s) => s.bytesIn],
  ["bytes_sent_total", "Size of the packets written to clients (characters of text packets, bytes of binary ones).", (s) => s.bytesOut],
  ["relay_replayed_packets_total", "Client packets replayed to a new owner after their app-node died before sending a receipt for them.", (s) => s.replayed],
  ["relay_duplicate_batches_total", "Batches dropped by an app-node as processed already.", (s) => s.duplicates],
  ["rehomed_connections_total", "Connections handed to another app-node, after a death or by rebalancing.", (s) => s.rehomed],
  ["recovered_sessions_total", "Sessions restored on a new app-node with their socket id, rooms and data.", (s) => s.recovered],
  // the transport's
  ["relay_batches_sent_total", "Relay batches this node sent to other nodes.", (s) => s.transport.batchesSent],
  ["relay_batch_bytes_sent_total", "Bytes of the relay batches sent (divide by the batches for their mean size).", (s) => s.transport.batchBytesSent],
  ["redis_errors_total", "Errors reported by this node's Redis connections.", (s) => s.transport.redisErrors],
  ["redis_reconnects_total", "Reconnections started by this node's Redis connections.", (s) => s.transport.redisReconnects],
  // the direct links'
  ["direct_link_sent_total", "Relay payloads written to direct TCP links.", (s) => s.link?.directSent],
  ["direct_link_fallbacks_total", "Times a direct link fell back to the Redis stream.", (s) => s.link?.fallbacks],
];

/**
 * The metric set of one prom-client Registry: every node registered on it (an embedded server has
 * an io-node and an app-node) shows up under its `node` and `role` labels. Figures are read from
 * the nodes' own counters when the registry is scraped, so between scrapes metrics cost nothing.
 *
 * @example
 * const metrics = ClusterMetrics.on(registry);
 * metrics.add(ioNode);
 */
export class ClusterMetrics {
  private static readonly byRegistry = new WeakMap<Registry, ClusterMetrics>();
  private readonly sources = new Set<MetricsSource>();
  private readonly loop: IntervalHistogram;

  /** The metric set of `registry`, created with its metrics on first use. */
  static on(registry: Registry): ClusterMetrics {
    let m = ClusterMetrics.byRegistry.get(registry);
    if (!m) ClusterMetrics.byRegistry.set(registry, (m = new ClusterMetrics(registry)));
    return m;
  }

  private constructor(readonly registry: Registry) {
    const { Counter, Gauge } = promClient();
    this.loop = monitorEventLoopDelay({ resolution: 20 });
    const labelNames = ["node", "role"] as const;
    const sources = this.sources;
    /** The options of a figure's metric: on each scrape it is reset, then `write` puts in every node's value. */
    const figure = <M extends { reset(): void }>([name, help, read]: Figure, write: (metric: M, labels: Labels, value: number) => void) => ({
      name: METRIC_PREFIX + name,
      help,
      labelNames,
      registers: [registry],
      collect(this: M) {
        this.reset();
        for (const src of sources) {
          const value = read(src.sample());
          if (value !== undefined) write(this, { node: src.id, role: src.role }, value);
        }
      },
    });
    for (const f of GAUGES) new Gauge(figure(f, (gauge: Gauge<keyof Labels>, labels, value) => gauge.set(labels, value)));
    // a counter is set from the node's own counter: reset, then raised to it
    for (const f of COUNTERS) new Counter(figure(f, (counter: Counter<keyof Labels>, labels, value) => counter.inc(labels, value)));

    new Gauge({
      name: METRIC_PREFIX + "peer_heartbeat_age_seconds",
      help: "Seconds since each live peer's heartbeat last moved, as seen by this node.",
      labelNames: ["node", "role", "peer", "peer_role"] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const src of sources) {
          for (const p of src.sample().peers) this.set({ node: src.id, role: src.role, peer: p.id, peer_role: p.role }, p.age);
        }
      },
    });
    const loop = this.loop;
    new Gauge({
      name: METRIC_PREFIX + "event_loop_lag_seconds",
      help: "Event-loop delay of this process since the previous scrape (stat: mean, p99, max).",
      labelNames: ["stat"] as const,
      registers: [registry],
      collect() {
        // the histogram reads NaN before its first sample
        const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
        this.set({ stat: "mean" }, seconds(loop.mean));
        this.set({ stat: "p99" }, seconds(loop.percentile(99)));
        this.set({ stat: "max" }, seconds(loop.max));
        loop.reset();
      },
    });
  }

  /** Starts exporting a node's figures. */
  add(source: MetricsSource): void {
    if (this.sources.size === 0) this.loop.enable();
    this.sources.add(source);
  }

  /** Stops exporting them (the node closed). */
  remove(source: MetricsSource): void {
    if (!this.sources.delete(source)) return;
    if (this.sources.size === 0) this.loop.disable();
  }
}
