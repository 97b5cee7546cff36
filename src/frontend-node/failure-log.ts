import type { NodeRole } from "../cluster/node-registry";
import { ClusterOptionsError } from "../errors";

/** A node that left the cluster, as the frontend saw it. */
export interface NodeFailure {
  id: string;
  role: NodeRole;
  address?: string;
  host: string;
  pid: number;
  /** When this frontend noticed the departure (its own clock, ms since the epoch). */
  at: number;
  /**
   * `"left"`: the node said goodbye (a clean `close()`); `"lost"`: its heartbeats stopped
   * (crash, kill, network), noticed after `nodeTimeout`.
   */
  kind: "left" | "lost";
  /** Connections it held or owned at its last heartbeat: the clients its departure affected. */
  connections: number;
  /** How long it had been running, in ms, by its own start time. */
  uptime: number;
}

/**
 * The last `size` departures, newest first: a fixed-size ring so a flapping node cannot grow the
 * frontend's memory.
 *
 * @example
 * const log = new FailureLog(50);
 * log.push(failure);
 * log.list(); // newest first
 */
export class FailureLog {
  private readonly ring: NodeFailure[] = [];
  private next = 0;

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 0) throw new ClusterOptionsError(`failuresKept must be a whole number >= 0, got ${size}`);
  }

  push(failure: NodeFailure): void {
    if (this.size === 0) return;
    if (this.ring.length < this.size) this.ring.push(failure);
    else this.ring[this.next] = failure;
    this.next = (this.next + 1) % this.size;
  }

  /** Every kept failure, newest first. */
  list(): NodeFailure[] {
    const n = this.ring.length;
    const out: NodeFailure[] = [];
    // `next` points just past the newest entry once the ring has wrapped, and at n before
    for (let i = 1; i <= n; i++) out.push(this.ring[(this.next - i + n * 2) % n]);
    return out;
  }
}
