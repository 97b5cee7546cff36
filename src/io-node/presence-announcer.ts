import { debug as makeDebug, warn } from "../log";
import { encodePresence } from "../protocol/presence";
import { CHANNELS } from "../transport/keys";
import type { Transport, Unsubscribe } from "../transport/transport";
import { withTimeout } from "../cluster/with-timeout";
import { setImmediate } from "../clock";

const debug = makeDebug("presence");

/** An {@link PresenceAnnouncer.announceNow} waiting for the app-nodes' PRESENCE_SEEN. */
interface ConfirmationWait {
  seq: number;
  /** The app-nodes that were alive at the announcement and have not confirmed it yet. */
  missing: Set<string>;
  done: (confirmed: boolean) => void;
}

/**
 * Tells the app-nodes which rooms this io-node has members in: the changes of one event-loop turn
 * go out as one numbered announcement, and a snapshot is published whenever an app-node asks.
 *
 * `announceNow` waits until every live app-node has applied the announcement (each answers it
 * with a PRESENCE_SEEN frame on its link), not only until Redis took it: Redis hands it to the
 * subscribers on their own connections, which may be read after a packet the confirmed join
 * caused reached an app-node on another path (the client tells a friend, the friend's packet
 * comes through another io-node). Then a broadcast would miss the room.
 *
 * @example
 * const announcer = new PresenceAnnouncer(transport, ioNodeId, () => index.rooms(), () => registry.alive("app").map((r) => r.id));
 * await announcer.start();
 * announcer.changed("/", "lobby", true);
 * await announcer.announceNow(1000); // every app-node routes to "lobby" here now
 */
export class PresenceAnnouncer {
  /** Announcements published so far; the registry carries it, so a lost one is noticed. */
  seq = 0;
  private readonly pending = new Map<string, [string, string, boolean]>();
  private scheduled = false;
  private unsubscribe?: Unsubscribe;
  private closed = false;
  private waits: ConfirmationWait[] = [];

  /**
   * @param currentRooms the rooms present now, for snapshots
   * @param appNodes the app-nodes alive now: those that must confirm an announcement
   */
  constructor(
    private readonly transport: Transport,
    private readonly nodeId: string,
    private readonly currentRooms: () => Iterable<[string, string]>,
    private readonly appNodes: () => string[] = () => [],
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
   * Publishes what is pending now (an empty announcement when nothing is, so that what went
   * before is confirmed too) and resolves with true once every app-node alive now has applied
   * it, or with false after `maxWaitMs` (Redis or an app-node does not answer).
   *
   * @param exempt an app-node that need not confirm: the one whose join made the room appear
   *   routes its own broadcasts to its sockets' io-nodes without the picture (`local-rooms.ts`),
   *   so with a single app-node a join waits for Redis only
   */
  async announceNow(maxWaitMs: number, exempt?: string): Promise<boolean> {
    if (this.closed) return false;
    const missing = new Set(this.appNodes().filter((id) => id !== exempt));
    const { seq, published } = this.publishPending(true);
    let done!: (confirmed: boolean) => void;
    const confirmed = new Promise<boolean>((resolve) => (done = resolve));
    const wait: ConfirmationWait = { seq, missing, done };
    this.waits.push(wait);
    // not published: nobody will confirm it; the app-nodes notice the gap by the counter
    void published.then((ok) => (ok ? this.settle(wait) : done(false)));
    try {
      return (await withTimeout(confirmed, maxWaitMs)) === true;
    } finally {
      this.waits = this.waits.filter((w) => w !== wait);
    }
  }

  /** An app-node's PRESENCE_SEEN: it applied every announcement up to `seq`. */
  seen(appId: string, seq: number): void {
    for (const wait of this.waits) if (seq >= wait.seq && wait.missing.delete(appId)) this.settle(wait);
  }

  /** The app-node is gone: nobody waits for it any more. */
  forget(appId: string): void {
    for (const wait of this.waits) if (wait.missing.delete(appId)) this.settle(wait);
  }

  private settle(wait: ConfirmationWait): void {
    if (wait.missing.size === 0) wait.done(true);
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.pending.size > 0 && !this.closed) void this.publishPending(false).published;
  };

  /** Publishes the pending changes as the next announcement (`confirm`: asking the app-nodes to answer it). */
  private publishPending(confirm: boolean): { seq: number; published: Promise<boolean> } {
    const changes = [...this.pending.values()];
    this.pending.clear();
    const seq = ++this.seq;
    return { seq, published: this.publish(encodePresence({ from: this.nodeId, seq, snapshot: false, confirm, changes })) };
  }

  private publishSnapshot(): void {
    // what is pending goes first, so the snapshot is current at the counter it names
    this.flush();
    const changes: Array<[string, string, boolean]> = [];
    for (const [nsp, room] of this.currentRooms()) changes.push([nsp, room, true]);
    debug("io-node %s: presence snapshot of %d room(s) at %d", this.nodeId, changes.length, this.seq);
    this.publish(encodePresence({ from: this.nodeId, seq: this.seq, snapshot: true, changes }));
  }

  /** Resolves with false when Redis refused it: the app-nodes notice the gap through the counter in the registry and ask for a snapshot. */
  private publish(payload: Buffer): Promise<boolean> {
    return this.transport.publish(CHANNELS.presence, payload).then(
      () => true,
      (err: Error) => {
        warn("presence-publish", `io-node ${this.nodeId}: room presence not published: ${err.message}`);
        return false;
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const wait of this.waits) wait.done(false);
    await this.unsubscribe?.().catch(() => undefined);
  }
}
