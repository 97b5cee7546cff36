import debugModule from "debug";
import { Transport, Unsubscribe } from "./transport";
import { newTransportStats } from "./transport-stats";
import { now as clockNow, setImmediate } from "../clock";

const debug = debugModule("socket.io-cluster:transport:memory");

/**
 * One in-process "broker" shared by every memory transport with the same prefix, so that several
 * nodes in one process form a cluster exactly as they would over Redis.
 */
class MemoryBroker {
  readonly inboxes = new Map<string, (payload: Buffer) => void>();
  /** Payloads sent before their inbox started listening. */
  readonly waiting = new Map<string, Buffer[]>();
  readonly channels = new Map<string, Set<(payload: Buffer) => void>>();
  readonly nodes = new Map<string, string>();
  readonly values = new Map<string, { value: Buffer; expiresAt: number }>();
  readonly logs = new Map<string, Array<{ id: string; ms: number; seq: number; payload: Buffer }>>();
  lastLogMs = 0;
  lastLogSeq = 0;
  users = 0;
}

const brokers = new Map<string, MemoryBroker>();

/** Max payloads kept for an inbox nobody listens to yet (the node may never start). */
const MAX_WAITING = 10_000;

/**
 * The in-process transport: nodes of one process form a cluster with no Redis, as they would over
 * Redis. Every memory transport with the same prefix reaches the same in-process broker; delivery
 * is asynchronous (a later turn of the event loop), like a real broker's. Pass one as
 * `cluster.transport` to several nodes (tests, a single-process demo); close it after them.
 *
 * @example
 * const transport = new MemoryTransport("chat");
 * const io = new Server(3000, { cluster: { transport } });
 * const ioNode = createIoNode({ port: 3001, transport });
 * // later
 * await Promise.all([io.close(), ioNode.close()]);
 * await transport.close();
 */
export class MemoryTransport implements Transport {
  readonly stats = newTransportStats();
  readonly kind = "memory";
  private readonly broker: MemoryBroker;
  private readonly mySubscriptions = new Set<Unsubscribe>();
  private readonly myInboxes = new Set<string>();
  private closed = false;

  constructor(readonly prefix: string) {
    let broker = brokers.get(prefix);
    if (!broker) {
      broker = new MemoryBroker();
      brokers.set(prefix, broker);
    }
    broker.users++;
    this.broker = broker;
  }

  send(nodeId: string, payload: Buffer): void {
    if (this.closed) return;
    this.stats.batchesSent++;
    this.stats.batchBytesSent += payload.length;
    const deliver = this.broker.inboxes.get(nodeId);
    // asynchronous, like a real broker: a node never re-enters itself
    if (deliver) {
      setImmediate(() => deliver(payload));
      return;
    }
    let queue = this.broker.waiting.get(nodeId);
    if (!queue) this.broker.waiting.set(nodeId, (queue = []));
    if (queue.length < MAX_WAITING) queue.push(payload);
  }

  async listen(nodeId: string, onPayload: (payload: Buffer) => void): Promise<void> {
    this.broker.inboxes.set(nodeId, onPayload);
    this.myInboxes.add(nodeId);
    const queued = this.broker.waiting.get(nodeId);
    this.broker.waiting.delete(nodeId);
    if (queued) setImmediate(() => queued.forEach((p) => onPayload(p)));
  }

  async dropInbox(nodeId: string): Promise<void> {
    this.broker.waiting.delete(nodeId);
  }

  async publish(channel: string, payload: Buffer): Promise<void> {
    const subs = this.broker.channels.get(channel);
    if (!subs) return;
    for (const sub of subs) setImmediate(() => sub(payload));
  }

  async subscribe(channel: string, onPayload: (payload: Buffer) => void): Promise<Unsubscribe> {
    let subs = this.broker.channels.get(channel);
    if (!subs) this.broker.channels.set(channel, (subs = new Set()));
    // a wrapper per subscription, so one handler subscribed twice is removed once at a time
    const handler = (payload: Buffer) => onPayload(payload);
    subs.add(handler);
    const unsubscribe: Unsubscribe = async () => {
      this.mySubscriptions.delete(unsubscribe);
      const current = this.broker.channels.get(channel);
      current?.delete(handler);
      if (current && current.size === 0) this.broker.channels.delete(channel);
    };
    this.mySubscriptions.add(unsubscribe);
    return unsubscribe;
  }

  async putNode(nodeId: string, record: string): Promise<void> {
    this.broker.nodes.set(nodeId, record);
  }

  async removeNode(nodeId: string): Promise<void> {
    this.broker.nodes.delete(nodeId);
  }

  async listNodes(): Promise<Record<string, string>> {
    return Object.fromEntries(this.broker.nodes);
  }

  async setValue(key: string, value: Buffer, ttlMs: number): Promise<void> {
    this.broker.values.set(key, { value, expiresAt: clockNow() + ttlMs });
  }

  async getValue(key: string): Promise<Buffer | null> {
    const entry = this.broker.values.get(key);
    if (!entry) return null;
    if (entry.expiresAt < clockNow()) {
      this.broker.values.delete(key);
      return null;
    }
    return entry.value;
  }

  async deleteValue(key: string): Promise<void> {
    this.broker.values.delete(key);
  }

  async appendLog(key: string, payload: Buffer, maxLen: number): Promise<string> {
    let log = this.broker.logs.get(key);
    if (!log) this.broker.logs.set(key, (log = []));
    const now = clockNow();
    const b = this.broker;
    if (now > b.lastLogMs) {
      b.lastLogMs = now;
      b.lastLogSeq = 0;
    } else {
      b.lastLogSeq++;
    }
    const id = `${b.lastLogMs}-${b.lastLogSeq}`;
    log.push({ id, ms: b.lastLogMs, seq: b.lastLogSeq, payload });
    if (log.length > maxLen) log.splice(0, log.length - maxLen);
    return id;
  }

  async readLog(key: string, afterId: string): Promise<Array<{ id: string; payload: Buffer }> | null> {
    const log = this.broker.logs.get(key) ?? [];
    const index = log.findIndex((e) => e.id === afterId);
    if (index === -1) return null;
    return log.slice(index + 1).map(({ id, payload }) => ({ id, payload }));
  }

  async readLogSince(key: string, ms: number): Promise<Array<{ id: string; payload: Buffer }>> {
    const log = this.broker.logs.get(key) ?? [];
    return log.filter((e) => e.ms > ms || (e.ms === ms && e.seq > 0)).map(({ id, payload }) => ({ id, payload }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of [...this.mySubscriptions]) await unsubscribe();
    for (const nodeId of this.myInboxes) this.broker.inboxes.delete(nodeId);
    if (--this.broker.users === 0) {
      brokers.delete(this.prefix);
      debug("broker %s released", this.prefix);
    }
  }
}
