import { EventEmitter } from "events";
import { hostname } from "os";
import { debug as makeDebug, warn } from "../log";
import { CLOSE_WAIT_MS, withTimeout } from "./with-timeout";
import { Transport, Unsubscribe } from "../transport/transport";
import { CHANNELS } from "../transport/keys";
import { clearInterval, now as clockNow, setInterval } from "../clock";

const debug = makeDebug("registry");

export type NodeRole = "io" | "app" | "frontend";

/** What a node says about itself in every heartbeat. */
export interface NodeRecord {
  id: string;
  role: NodeRole;
  /** host:port that browsers should use to reach an io-node (its public address). */
  address?: string;
  /** host:port of the node's `GET /metrics` server, when it has one (`metricsPort`). */
  metrics?: string;
  /** Connections held (io-node) or owned (app-node). */
  connections: number;
  /** Relay messages handled since the node started; rates are derived from two heartbeats. */
  messages: number;
  /** io-nodes: room presence announcements published so far (a receiver that is behind missed one). */
  roomSeq?: number;
  /** io-nodes: client packets replayed to a new owner after an app-node died (see `IoNode.replayedPackets`). */
  replayed?: number;
  /** app-nodes: batches dropped as processed already (see `AppNode.duplicateBatches`). */
  duplicates?: number;
  /** Heartbeat counter: a record that stops changing belongs to a dead node. */
  seq: number;
  /** Sender's clock at the heartbeat, to discard records left behind long ago. */
  at: number;
  pid: number;
  host: string;
  startedAt: number;
}

export interface RegistryOptions {
  /** ms between two heartbeats of a node. @default 1000 */
  heartbeatInterval: number;
  /**
   * ms without a new heartbeat after which a node is dead. A dead node is noticed at most
   * `nodeTimeout + heartbeatInterval` after its last heartbeat. @default 5000
   */
  nodeTimeout: number;
}

interface Observed {
  record: NodeRecord;
  lastChange: number;
  alive: boolean;
}

/**
 * The cluster's membership, seen from one node: it publishes this node's heartbeat and watches the
 * others'. Liveness is judged by the observer's own clock (a record whose `seq` stops moving),
 * so clocks of different machines need not agree.
 *
 * Events: `up` (record), `down` (record), `change` (record: load figures moved), `resumed`
 * (the {@link lastBeatAt} before: this node's heartbeat succeeded after a silence long enough for
 * the others to have thought it dead), `polled` (after every read of the registry, once the others
 * are emitted).
 */
export class NodeRegistry extends EventEmitter {
  private readonly observed = new Map<string, Observed>();
  private timer?: NodeJS.Timeout;
  private seq = 0;
  private stopped = false;
  private polling = false;
  /** When the registry was last read; after a blind spot (Redis away) nobody is judged on it. */
  private lastPollAt = 0;
  /** When the last heartbeat that reached the registry was sent (0: none yet). */
  lastBeatAt = 0;
  private unsubscribe?: Unsubscribe;
  /** Nodes that announced their departure: gone from the registry means dead at once. */
  private readonly departed = new Set<string>();

  constructor(
    private readonly transport: Transport,
    private readonly self: () => Omit<NodeRecord, "seq" | "at" | "pid" | "host" | "startedAt">,
    readonly opts: RegistryOptions,
    private readonly startedAt = clockNow(),
  ) {
    super();
  }

  async start(): Promise<void> {
    this.unsubscribe = await this.transport.subscribe(CHANNELS.nodesChanged, (payload) => {
      this.departed.add(payload.toString());
      void this.poll();
    });
    await this.beat();
    await this.poll();
    // stopped while starting (a node closed after its start was refused): no heartbeat to leak
    if (this.stopped) return;
    this.timer = setInterval(() => {
      void this.beat().then(() => this.poll());
    }, this.opts.heartbeatInterval);
  }

  /** Live nodes of a role, this node included when it has that role. */
  alive(role?: NodeRole): NodeRecord[] {
    const out: NodeRecord[] = [];
    for (const o of this.observed.values()) {
      if (o.alive && (!role || o.record.role === role)) out.push(o.record);
    }
    return out;
  }

  /**
   * ms of heartbeat silence past which another node may have judged this one dead: a node paused
   * that long must not trust what it was sent before (see `app-node/epoch-checks.ts`). One
   * heartbeat interval short of `nodeTimeout`, as the others judge by when they read the registry.
   */
  get silenceLimit(): number {
    return this.opts.nodeTimeout - this.opts.heartbeatInterval;
  }

  /** Whether this node's heartbeat has been silent past {@link silenceLimit}. */
  silent(): boolean {
    return this.lastBeatAt > 0 && clockNow() - this.lastBeatAt > this.silenceLimit;
  }

  /**
   * A live node proved it is alive by other means (it answered on its link): it gets a fresh
   * timeout, so it is not judged dead before its heartbeat had a chance to resume.
   *
   * @example
   * registry.touch("app-1234");
   */
  touch(id: string): void {
    const o = this.observed.get(id);
    if (o?.alive) o.lastChange = clockNow();
  }

  /**
   * Seconds since each other live node's heartbeat last moved (this node's clock), for the metrics.
   *
   * @example
   * registry.heartbeatAges(); // [{ id: "app-1234", role: "app", age: 0.4 }]
   */
  heartbeatAges(selfId: string): Array<{ id: string; role: NodeRole; age: number }> {
    const now = clockNow();
    const out: Array<{ id: string; role: NodeRole; age: number }> = [];
    for (const [id, o] of this.observed) {
      if (o.alive && id !== selfId) out.push({ id, role: o.record.role, age: Math.max(0, now - o.lastChange) / 1000 });
    }
    return out;
  }

  isAlive(id: string): boolean {
    return this.observed.get(id)?.alive === true;
  }

  get(id: string): NodeRecord | undefined {
    return this.observed.get(id)?.record;
  }

  /**
   * When (this node's clock) a node's heartbeat last moved, or undefined for a node not known;
   * read with {@link lastPolled} to judge a silence on what was actually looked at.
   *
   * @example
   * const silentFor = registry.lastPolled() - (registry.lastHeard(id) ?? 0);
   */
  lastHeard(id: string): number | undefined {
    return this.observed.get(id)?.lastChange;
  }

  /** When the registry was last read (a silence is only one if somebody was listening). */
  lastPolled(): number {
    return this.lastPollAt;
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    const record: NodeRecord = {
      ...this.self(),
      seq: ++this.seq,
      at: clockNow(),
      pid: process.pid,
      host: hostname(),
      startedAt: this.startedAt,
    };
    try {
      await this.transport.putNode(record.id, JSON.stringify(record));
      const before = this.lastBeatAt;
      this.lastBeatAt = record.at;
      if (before > 0 && record.at - before > this.silenceLimit) this.emit("resumed", before);
    } catch (err) {
      warn("heartbeat", `heartbeat of ${record.id} failed: ${(err as Error).message}`);
    }
  }

  /** Reads the registry and updates liveness; exposed so tests and changes can force a look. */
  async poll(): Promise<void> {
    if (this.stopped || this.polling) return;
    this.polling = true;
    try {
      const raw = await this.transport.listNodes();
      const now = clockNow();
      if (this.lastPollAt > 0 && now - this.lastPollAt > this.opts.nodeTimeout / 2) {
        // we could not see the registry for a while: heartbeats may be late through no fault of
        // their senders, so everyone starts a fresh timeout instead of being declared dead
        for (const o of this.observed.values()) if (o.alive) o.lastChange = now;
      }
      this.lastPollAt = now;
      this.update(raw, now);
      this.emit("polled");
    } catch (err) {
      warn("registry-poll", `could not read the node registry: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private update(raw: Record<string, string>, now: number): void {
    const seen = new Set<string>();
    for (const [id, json] of Object.entries(raw)) {
      const record = parseRecord(id, json);
      if (!record) {
        warn("registry-garbage", `ignoring a malformed registry entry for "${id.slice(0, 64)}"`);
        continue;
      }
      seen.add(id);
      const known = this.observed.get(id);
      if (!known) {
        const fresh = now - record.at <= this.opts.nodeTimeout;
        this.observed.set(id, { record, lastChange: fresh ? now : 0, alive: fresh });
        if (fresh) {
          debug("node up: %s (%s)", id, record.role);
          this.emit("up", record);
        }
        continue;
      }
      if (record.seq !== known.record.seq) {
        known.lastChange = now;
        known.record = record;
        if (!known.alive) {
          known.alive = true;
          this.emit("up", record);
        } else {
          this.emit("change", record);
        }
      }
    }
    for (const [id, o] of this.observed) {
      // a record can vanish without its node leaving (a Redis restarted empty): only a node that
      // said goodbye is dead at once, the others get their timeout
      const gone = !seen.has(id);
      const left = gone && this.departed.has(id);
      if (o.alive && (left || now - o.lastChange > this.opts.nodeTimeout)) {
        o.alive = false;
        debug("node down: %s (%s)", id, o.record.role);
        this.emit("down", o.record);
      }
      if (!o.alive && gone) {
        this.observed.delete(id);
        this.departed.delete(id);
      }
      // leftovers of dead nodes are removed by whoever notices them, inbox included
      if (!o.alive && !gone && now - o.record.at > this.opts.nodeTimeout * 3 && id !== this.self().id) {
        void this.transport.removeNode(id).catch(() => undefined);
        void this.transport.dropInbox(id).catch(() => undefined);
      }
    }
  }

  /** Stops the heartbeat and removes this node, telling the others at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    const id = this.self().id;
    const goodbye = async () => {
      await this.transport.removeNode(id);
      await this.transport.publish(CHANNELS.nodesChanged, Buffer.from(id));
      await this.transport.dropInbox(id);
      await this.unsubscribe?.();
    };
    try {
      // with Redis away the goodbye cannot be said; the others will notice the silence
      await withTimeout(goodbye(), CLOSE_WAIT_MS);
    } catch (err) {
      debug("could not deregister %s: %s", id, (err as Error).message);
    }
  }
}

function parseRecord(id: string, json: string): NodeRecord | undefined {
  try {
    const r = JSON.parse(json) as NodeRecord;
    if (
      r &&
      r.id === id &&
      (r.role === "io" || r.role === "app" || r.role === "frontend") &&
      typeof r.seq === "number" &&
      typeof r.at === "number"
    ) {
      r.connections = Number(r.connections) || 0;
      r.messages = Number(r.messages) || 0;
      return r;
    }
  } catch {
    // fall through
  }
  return undefined;
}
