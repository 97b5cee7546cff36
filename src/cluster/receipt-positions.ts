import { debug as makeDebug } from "../log";

const debug = makeDebug("receipt-positions");

/** Senders remembered; the oldest is forgotten past this (a node restarted many times). */
const MAX_SENDERS = 10_000;

interface Position {
  epoch: number;
  /** Highest seq processed in `epoch`. */
  last: number;
}

/**
 * Where a receiver stands in each sender's batches: per sender, the link epoch it reads and the
 * last seq of that epoch it processed. A batch at or below that position was processed already
 * (a transport that delivered it twice) and is dropped; a batch of another epoch starts the count
 * again (the sender re-created its link). Transports deliver one sender's batches in order, so a
 * batch of an epoch left behind does not come back; one that does (forged) only resets the count.
 *
 * @example
 * const positions = new ReceiptPositions();
 * positions.accept("io-1", 7, 1); // true
 * positions.accept("io-1", 7, 1); // false: seen already
 * positions.accept("io-1", 9, 1); // true: io-1 started another link
 */
export class ReceiptPositions {
  private readonly senders = new Map<string, Position>();

  /** Records batch (`from`, `epoch`, `seq`); false when it was received already and must not be processed. */
  accept(from: string, epoch: number, seq: number): boolean {
    let p = this.senders.get(from);
    if (!p) {
      if (this.senders.size >= MAX_SENDERS) this.senders.delete(this.senders.keys().next().value as string);
      this.senders.set(from, (p = { epoch, last: 0 }));
    } else if (p.epoch !== epoch) {
      debug("%s: link epoch %d -> %d (was at seq %d)", from, p.epoch, epoch, p.last);
      p.epoch = epoch;
      p.last = 0;
    }
    if (seq <= p.last) return false;
    p.last = seq;
    return true;
  }

  /** The last seq processed in `from`'s current epoch (0 for a sender never heard from). */
  last(from: string): number {
    return this.senders.get(from)?.last ?? 0;
  }

  /** Forgets a sender that is gone for good. */
  forget(from: string): void {
    this.senders.delete(from);
  }
}
