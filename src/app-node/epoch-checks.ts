import { debug as makeDebug } from "../log";
import { Batch, FrameType } from "../protocol/frame";

const debug = makeDebug("epoch-checks");

/** What {@link EpochChecks} needs from its app-node. */
export interface EpochCheckHooks {
  /** Sends an EPOCH_CHECK of `epoch` to the io-node. */
  ask(ioNodeId: string, epoch: number): void;
  /** Handles a batch the io-node stands by. */
  handle(batch: Batch): void;
  /** The io-node re-homed this node's connections: they are not this node's any more. */
  revoked(ioNodeId: string): void;
}

/**
 * Keeps an app-node that was silent (paused, frozen, cut off from Redis) long enough to have been
 * thought dead from handling batches an io-node has replayed to another app-node meanwhile: after
 * {@link doubt}, the next batch of each io-node waits, with those behind it, until the io-node
 * says whether that batch's link epoch is still the one carrying this node's connections. If it
 * is, they are handled; if not, the connections were re-homed and the batches of that epoch are
 * dropped unhandled (their packets ran on the new owner). Costs nothing until a silence.
 *
 * @example
 * const checks = new EpochChecks({ ask, handle, revoked });
 * checks.take(batch);  // handled at once
 * checks.doubt();      // after a silence
 * checks.take(batch2); // waits for the io-node's EPOCH_STATUS
 */
export class EpochChecks {
  /** Bumped by each doubt; an io-node confirmed for the current one is trusted. */
  private generation = 0;
  private readonly confirmed = new Map<string, number>();
  /** Per io-node being asked: the epoch asked about and the batches waiting for the answer. */
  private readonly asking = new Map<string, { epoch: number; batches: Batch[] }>();
  /** Batches dropped because their epoch had been re-homed. */
  dropped = 0;

  constructor(private readonly hooks: EpochCheckHooks) {}

  /** Distrusts what every io-node sends until it answers an EPOCH_CHECK. */
  doubt(): void {
    this.generation++;
    debug("doubting every link (generation %d)", this.generation);
  }

  /** Handles a batch now, or once its io-node has answered for its epoch. */
  take(batch: Batch): void {
    for (const frame of batch.frames) {
      if (frame.type === FrameType.EPOCH_STATUS) this.answered(batch.from, frame.epoch, frame.current);
    }
    const asking = this.asking.get(batch.from);
    if (asking) {
      asking.batches.push(batch);
      return;
    }
    if (this.generation === 0 || this.confirmed.get(batch.from) === this.generation) {
      this.hooks.handle(batch);
      return;
    }
    this.asking.set(batch.from, { epoch: batch.epoch, batches: [batch] });
    debug("asking %s about epoch %d", batch.from, batch.epoch);
    this.hooks.ask(batch.from, batch.epoch);
  }

  /** An io-node that is gone answers nothing: what waits for it goes too. */
  forget(ioNodeId: string): void {
    this.asking.delete(ioNodeId);
    this.confirmed.delete(ioNodeId);
  }

  private answered(from: string, epoch: number, current: boolean): void {
    const asking = this.asking.get(from);
    if (!asking || asking.epoch !== epoch) return;
    this.asking.delete(from);
    this.confirmed.set(from, this.generation);
    debug("%s: epoch %d %s; %d batch(es) waited", from, epoch, current ? "stands" : "was re-homed", asking.batches.length);
    if (!current) this.hooks.revoked(from);
    for (const batch of asking.batches) {
      // batches of a later epoch were sent after the io-node took this node for alive again
      if (!current && batch.epoch === epoch) this.dropped++;
      else this.hooks.handle(batch);
    }
  }
}
