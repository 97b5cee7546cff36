import { debug as makeDebug } from "../log";
import { clearTimeout, now, setTimeout } from "../clock";
import { Move, OwnedConnections, planMoves } from "./rebalance-plan";

const debug = makeDebug("rebalance");

/** Steps a window's moves are spread over. */
const STEPS = 10;

/** What the rebalancer reads of its io-node and asks of it. */
export interface RebalanceHost {
  /** Each live app-node (the idle ones too) and what it owns of the io-node's connections. */
  owners(): Map<string, OwnedConnections>;
  /** Starts moving a connection (a RELEASE frame to its owner). */
  move(move: Move): void;
}

/**
 * Keeps an io-node's connections spread over the live app-nodes: when an app-node joins, or a
 * heartbeat shows the spread went off, it moves connections from app-nodes above their fair share
 * to those below (see `rebalance-plan.ts`), at most `maxPerSecond` started in any second, spread
 * over it in tenths, so that a join never storms the cluster. Timers are the real ones of
 * `src/clock.ts`.
 *
 * @example
 * const rebalancer = new Rebalancer(host, 50);
 * registry.on("up", () => rebalancer.check());
 */
export class Rebalancer {
  /** When the moves of the current window started (oldest first). */
  private readonly started: number[] = [];
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly perStep: number;
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly host: RebalanceHost,
    maxPerSecond: number,
    /** Milliseconds on the real clock; a test may read along. */
    private readonly clock: () => number = now,
  ) {
    // a rate below one per second is one move per 1/rate seconds
    this.perWindow = Math.max(1, Math.floor(maxPerSecond));
    this.windowMs = (1000 * this.perWindow) / maxPerSecond;
    this.perStep = Math.ceil(this.perWindow / STEPS);
  }

  /**
   * Looks for moves now (or when the rate allows it again). Cheap to call often: while moves wait
   * for the rate, calls change nothing.
   *
   * @example
   * registry.on("change", () => rebalancer.check());
   */
  check(): void {
    if (this.closed || this.timer) return;
    const t = this.clock();
    while (this.started.length > 0 && t - this.started[0] >= this.windowMs) this.started.shift();
    const room = this.perWindow - this.started.length;
    if (room <= 0) return this.later(this.started[0] + this.windowMs - t);
    // a tenth of the rate at a time, so a second's moves are spread over it rather than all at once
    const allowed = Math.min(room, this.perStep);
    const moves = planMoves(this.host.owners(), allowed);
    for (const m of moves) {
      this.started.push(t);
      this.host.move(m);
    }
    if (moves.length > 0) debug("started %d move(s)", moves.length);
    if (moves.length < allowed) return;
    // the rate cut the plan short: the rest at the next step, or once the window has room again
    const full = this.started.length >= this.perWindow;
    this.later(full ? this.started[0] + this.windowMs - t : this.windowMs / STEPS);
  }

  private later(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.check();
    }, Math.max(1, ms));
    this.timer.unref();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
