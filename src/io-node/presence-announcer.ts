import { debug as makeDebug, warn } from "../log";
import { encodePresence } from "../protocol/presence";
import { CHANNELS } from "../transport/keys";
import type { Transport, Unsubscribe } from "../transport/transport";
import { withTimeout } from "../cluster/with-timeout";
import { setImmediate } from "../clock";

const debug = makeDebug("presence");

/**
 * Tells the app-nodes which rooms this io-node has members in: the changes of one event-loop turn
 * go out as one numbered announcement, and a snapshot is published whenever an app-node asks.
 *
 * @example
 * const announcer = new PresenceAnnouncer(transport, ioNodeId, () => index.rooms());
 * await announcer.start();
 * announcer.changed("/", "lobby", true);
 */
export class PresenceAnnouncer {
  /** Announcements published so far; the registry carries it, so a lost one is noticed. */
  seq = 0;
  private readonly pending = new Map<string, [string, string, boolean]>();
  private scheduled = false;
  /** The last publish, so a caller with nothing new to announce can still wait for what is on its way. */
  private lastPublish: Promise<void> = Promise.resolve();
  private unsubscribe?: Unsubscribe;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly nodeId: string,
    private readonly currentRooms: () => Iterable<[string, string]>,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.transport.subscribe(CHANNELS.presenceSync, (payload) => {
      if (payload.toString() === this.nodeId) this.publishSnapshot();
    });
  }

  /** A room appeared on this io-node or vanished from it. */
  changed(nsp: string, room: string, present: boolean): void {
    // a room that comes and goes in one turn is announced once, as it ends up
    this.pending.set(`${nsp}\u0000${room}`, [nsp, room, present]);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /**
   * Publishes what is pending now; resolves when Redis has taken it (and handed it to every
   * subscriber) with true, or after `maxWaitMs` when Redis does not answer with false.
   */
  async announceNow(maxWaitMs: number): Promise<boolean> {
    const published = (this.flush() ?? this.lastPublish).then(() => true);
    return (await withTimeout(published, maxWaitMs)) === true;
  }

  private readonly flush = (): Promise<void> | undefined => {
    this.scheduled = false;
    if (this.pending.size === 0 || this.closed) return undefined;
    const changes = [...this.pending.values()];
    this.pending.clear();
    return this.publish(encodePresence({ from: this.nodeId, seq: ++this.seq, snapshot: false, changes }));
  };

  private publishSnapshot(): void {
    // what is pending goes first, so the snapshot is current at the counter it names
    this.flush();
    const changes: Array<[string, string, boolean]> = [];
    for (const [nsp, room] of this.currentRooms()) changes.push([nsp, room, true]);
    debug("io-node %s: presence snapshot of %d room(s) at %d", this.nodeId, changes.length, this.seq);
    this.publish(encodePresence({ from: this.nodeId, seq: this.seq, snapshot: true, changes }));
  }

  private publish(payload: Buffer): Promise<void> {
    return (this.lastPublish = this.transport.publish(CHANNELS.presence, payload).catch((err: Error) => {
      // the app-nodes notice the gap through the counter in the registry and ask for a snapshot
      warn("presence-publish", `io-node ${this.nodeId}: room presence not published: ${err.message}`);
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.unsubscribe?.().catch(() => undefined);
  }
}
