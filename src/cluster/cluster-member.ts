import { debug as makeDebug, warn } from "../log";
import { newNodeId, ResolvedClusterOptions } from "../options";
import type { Batch } from "../protocol/frame";
import type { MetricsSample, MetricsSource } from "../metrics/metrics-source";
import { listenInbox } from "./inbox";
import { NodeRecord, NodeRegistry, NodeRole } from "./node-registry";
import { startOrRefuse } from "./start-or-refuse";
import { CLOSE_WAIT_MS, withTimeout } from "./with-timeout";

/** What a node says of itself in each heartbeat, besides its id, role and metrics address. */
export type MemberRecord = Omit<NodeRecord, "id" | "role" | "metrics" | "seq" | "at" | "pid" | "host" | "startedAt">;

/** What a node tells its metrics, besides the figures every node has (peers, transport). */
export type MemberSample = Omit<MetricsSample, "peers" | "transport">;

/** A part of a node that starts with it (after the inbox, before the heartbeat) and closes before it leaves. */
export interface MemberPart {
  start(): Promise<void>;
  close(): Promise<void>;
}

/** What a role tells the member it is made of. */
export interface MemberSpec {
  role: NodeRole;
  /** Names the node in log lines ("io-node", "app-node", "frontend"). */
  label: string;
  /** The heartbeat's figures, read at each beat. */
  record(): MemberRecord;
  /** The metrics' figures, read at each scrape. */
  sample(): MemberSample;
  /** Batches from the node's inbox; a node without one (a frontend) reads none. */
  onBatch?(batch: Batch): void;
  /**
   * Started in this order after the inbox, closed in this order before the registry is left. Read
   * when used, so parts built with the member's id can be named.
   */
  parts?(): MemberPart[];
}

/**
 * The sequence every node shares: its id, its place in the registry (heartbeats), its inbox, its
 * metrics, how it starts and how it leaves. Each role has one `member` and keeps only what is its
 * own: an io-node its connections, an app-node its relay engine, a frontend its pages.
 *
 * Start: metrics, inbox, parts, registry (the heartbeat goes out last, once the node can answer).
 * Leave: parts, registry, metrics; the role then closes what it owns, the transport last.
 *
 * @example
 * this.member = new ClusterMember(cluster, { role: "app", label: "app-node", record, sample, onBatch });
 * this.member.registry.on("down", (r) => ...);
 * this.member.start();
 */
export class ClusterMember {
  readonly id: string;
  readonly registry: NodeRegistry;
  private readonly source: MetricsSource;
  private started?: Promise<void>;
  private readonly debug: ReturnType<typeof makeDebug>;

  constructor(readonly cluster: ResolvedClusterOptions, private readonly spec: MemberSpec) {
    this.id = newNodeId(spec.role);
    this.debug = makeDebug(spec.label);
    this.source = { id: this.id, role: spec.role, sample: () => this.sample() };
    this.registry = new NodeRegistry(
      cluster.transport,
      () => ({ id: this.id, role: spec.role, metrics: this.metricsAddress(), ...spec.record() }),
      cluster,
    );
  }

  /**
   * Joins the cluster, after `before` (the node's HTTP server listening) when given. Called once,
   * by the role's constructor after it has set its registry listeners.
   */
  start(before?: Promise<void>): Promise<void> {
    const steps = () => startOrRefuse(this.cluster.transport, () => this.join());
    this.started = before ? before.then(steps) : steps();
    // the failure is the caller's through ready(); not an unhandled rejection when nobody asks
    this.started.catch((err: Error) => warn(`${this.spec.role}-start`, `${this.spec.label} ${this.id} could not start: ${err.message}`));
    return this.started;
  }

  private async join(): Promise<void> {
    const { transport, metrics } = this.cluster;
    await metrics?.attach(this.source);
    if (this.spec.onBatch) {
      const onBatch = this.spec.onBatch;
      await listenInbox(transport, this.id, (batch) => onBatch(batch));
    }
    for (const part of this.spec.parts?.() ?? []) await part.start();
    await this.registry.start();
    this.debug("%s %s started", this.spec.label, this.id);
  }

  private sample(): MetricsSample {
    return {
      ...this.spec.sample(),
      peers: this.registry.heartbeatAges(this.id),
      transport: this.cluster.transport.stats,
    };
  }

  /** Resolves once the node is registered (and reads its inbox); rejects when it could not start. */
  ready(): Promise<void> {
    return this.started!;
  }

  /** Waits for the start to end, either way, but not longer than a close may wait on Redis. */
  settled(): Promise<void | undefined> {
    // the promise itself, not an async wrapper: a close goes on in the same turns as before
    return withTimeout(this.ready().catch(() => undefined), CLOSE_WAIT_MS);
  }

  /** Closes the parts, leaves the registry (telling the others at once) and the metrics. */
  async leave(): Promise<void> {
    for (const part of this.spec.parts?.() ?? []) await part.close();
    await this.registry.stop();
    await this.cluster.metrics?.detach(this.source);
  }

  /** Closes the transport when the node's options created it (not one shared with the app). */
  async closeTransport(): Promise<void> {
    if (this.cluster.ownsTransport) await this.cluster.transport.close();
  }

  /** host:port of this node's `GET /metrics` server (`metricsPort`), once it listens. */
  metricsAddress(): string | undefined {
    return this.cluster.metrics?.address();
  }
}
