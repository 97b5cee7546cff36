import type { NodeRecord, NodeRegistry, NodeRole } from "../cluster/node-registry";
import { debug as makeDebug, warn } from "../log";
import { HostPort, parseAddress } from "./address";
import { FailureLog, NodeFailure } from "./failure-log";

const debug = makeDebug("frontend:view");

/** An io-node that browsers may connect to, as `/config.json` lists it. */
export interface IoServer extends HostPort {
  id: string;
  /** Client connections it held at its last heartbeat. */
  connections: number;
  /** Messages (client packets in and out) per second over the last few heartbeats. */
  messagesPerSecond: number;
}

/** A live node, as `/status.json` shows it. */
export interface NodeStatus {
  id: string;
  role: NodeRole;
  address?: string;
  /** host:port of its `GET /metrics` server, when it has one. */
  metrics?: string;
  host: string;
  pid: number;
  /** io-node: connections held; app-node: connections owned; frontend: requests in flight. */
  connections: number;
  /** Counter since the node started (frontend: requests served). */
  messages: number;
  messagesPerSecond: number;
  /** io-node: client packets replayed to a new owner after an app-node died (possible duplicates). */
  replayed?: number;
  /** app-node: relay batches dropped as received already. */
  duplicates?: number;
  startedAt: number;
  /** ms since the node started, by its own start time. */
  uptime: number;
  /** ms since this frontend last saw the node's heartbeat move. */
  lastHeartbeat: number;
}

export interface ClusterViewOptions {
  /** ms of heartbeats a message rate is averaged over. */
  rateWindow: number;
  /** Departures kept for the status page. */
  failuresKept: number;
  /** The registry's timeout, to tell a clean departure from a lost node. */
  nodeTimeout: number;
}

interface Sample {
  messages: number;
  /** The node's own clock: rates only ever compare two stamps of one node. */
  at: number;
}

interface Watched {
  samples: Sample[];
  /** This frontend's clock when the record last moved. */
  seenAt: number;
}

/**
 * What the frontend knows about the cluster beyond the registry's live records: message rates
 * (from the counters of successive heartbeats), recent departures, and how many clients were
 * sent to each io-node since its last heartbeat.
 *
 * That last figure matters when many clients ask at once (an io-node died and all its clients
 * come back within a second): the connection counts only move with the next heartbeat, so without
 * it every one of them would be sent to the same "least loaded" node.
 *
 * @example
 * const view = new ClusterView(registry, { rateWindow: 5000, failuresKept: 50, nodeTimeout: 5000 });
 * view.ioServers(); // least loaded first
 */
export class ClusterView {
  private readonly watched = new Map<string, Watched>();
  private readonly handedOut = new Map<string, number>();
  private readonly failureLog: FailureLog;
  /** Breaks ties between equally loaded io-nodes differently on each request, as the original rotated its list. */
  private rotation = 0;

  constructor(
    private readonly registry: NodeRegistry,
    private readonly opts: ClusterViewOptions,
  ) {
    this.failureLog = new FailureLog(opts.failuresKept);
    registry.on("up", (r: NodeRecord) => this.observe(r));
    registry.on("change", (r: NodeRecord) => {
      this.observe(r);
      // its connection count now includes the clients sent there before this heartbeat
      this.handedOut.delete(r.id);
    });
    registry.on("down", (r: NodeRecord) => this.onDown(r));
  }

  private observe(record: NodeRecord): void {
    let w = this.watched.get(record.id);
    if (!w) this.watched.set(record.id, (w = { samples: [], seenAt: 0 }));
    w.seenAt = Date.now();
    w.samples.push({ messages: record.messages, at: record.at });
    // keep one sample older than the window, so the rate always spans at least the window
    while (w.samples.length > 2 && record.at - w.samples[1].at >= this.opts.rateWindow) w.samples.shift();
  }

  private onDown(record: NodeRecord): void {
    const w = this.watched.get(record.id);
    const silentFor = w ? Date.now() - w.seenAt : Infinity;
    const failure: NodeFailure = {
      id: record.id,
      role: record.role,
      address: typeof record.address === "string" ? record.address : undefined,
      host: String(record.host ?? ""),
      pid: Number(record.pid) || 0,
      at: Date.now(),
      // the registry declares a silent node dead after nodeTimeout; sooner means it said goodbye
      kind: silentFor < this.opts.nodeTimeout ? "left" : "lost",
      connections: record.connections,
      uptime: Math.max(0, record.at - Number(record.startedAt || record.at)),
    };
    this.failureLog.push(failure);
    this.watched.delete(record.id);
    this.handedOut.delete(record.id);
    debug("%s %s (%s, %d connections)", failure.role, failure.kind, failure.id, failure.connections);
  }

  /** Messages per second of a node over the rate window; 0 until two heartbeats are known. */
  rate(id: string): number {
    const samples = this.watched.get(id)?.samples;
    if (!samples || samples.length < 2) return 0;
    const first = samples[0];
    const last = samples[samples.length - 1];
    const seconds = (last.at - first.at) / 1000;
    if (seconds <= 0) return 0;
    // a counter cannot go back; if a record says so, it is not worth a negative rate
    return Math.max(0, Math.round(((last.messages - first.messages) / seconds) * 10) / 10);
  }

  /**
   * The io-nodes alive now with a usable address, least loaded first. With `handOut`, the first
   * one is counted as one more connection until its next heartbeat (the caller gives the list to
   * a client, which connects to the first entry).
   */
  ioServers(handOut = false): IoServer[] {
    const servers: Array<IoServer & { load: number }> = [];
    for (const record of this.registry.alive("io")) {
      const hostPort = parseAddress(record.address);
      if (!hostPort) {
        // no address yet is normal (its HTTP server is not listening yet); a malformed one is not
        if (record.address === undefined) debug("io-node %s has no address yet", record.id);
        else warn("frontend-address", `io-node ${record.id} advertises an unusable address ${JSON.stringify(record.address)}; not listing it`);
        continue;
      }
      servers.push({
        id: record.id,
        ...hostPort,
        connections: record.connections,
        messagesPerSecond: this.rate(record.id),
        load: record.connections + (this.handedOut.get(record.id) ?? 0),
      });
    }
    const rotation = this.rotation++;
    const n = servers.length || 1;
    // sort by load; equal loads in an order that rotates per request, as the original did
    const order = new Map(servers.map((s, i) => [s.id, (i + rotation) % n]));
    servers.sort((a, b) => a.load - b.load || order.get(a.id)! - order.get(b.id)!);
    if (handOut && servers.length > 0) this.handedOut.set(servers[0].id, (this.handedOut.get(servers[0].id) ?? 0) + 1);
    return servers.map(({ load: _load, ...server }) => server);
  }

  /** Every live node of a role with its figures, oldest first. */
  nodes(role: NodeRole): NodeStatus[] {
    const now = Date.now();
    const out = this.registry.alive(role).map((r): NodeStatus => {
      const lastHeartbeat = Math.max(0, now - (this.watched.get(r.id)?.seenAt ?? now));
      const startedAt = Number(r.startedAt) || 0;
      return {
        id: r.id,
        role: r.role,
        address: typeof r.address === "string" ? r.address : undefined,
        metrics: parseAddress(r.metrics) ? r.metrics : undefined,
        host: String(r.host ?? ""),
        pid: Number(r.pid) || 0,
        connections: r.connections,
        messages: r.messages,
        messagesPerSecond: this.rate(r.id),
        ...(r.role === "io" ? { replayed: Number(r.replayed) || 0 } : {}),
        ...(r.role === "app" ? { duplicates: Number(r.duplicates) || 0 } : {}),
        startedAt,
        // the node's own clock up to its last heartbeat, then ours: no clock comparison across machines
        uptime: Math.max(0, r.at - (startedAt || r.at)) + lastHeartbeat,
        lastHeartbeat,
      };
    });
    return out.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
  }

  /** Recent departures, newest first. */
  failures(): NodeFailure[] {
    return this.failureLog.list();
  }
}
