import { debug as makeDebug, warn } from "../../log";
import { clearInterval, now as clockNow, setInterval } from "../../clock";

const debug = makeDebug("transport:sequencer");

/** At most this many payloads (and bytes) that came early are kept for one sender while an earlier seq is still on its way (stream vs TCP). */
const MAX_EARLY = 10_000;
const MAX_EARLY_BYTES = 256 * 1024 * 1024;
/** A gap not filled after this long will not be: the early payloads are delivered anyway. */
const GAP_TIMEOUT_MS = 30_000;
/** Senders remembered per inbox; the oldest is forgotten past this (a sender per process). */
const MAX_SENDERS = 10_000;
/** Epochs of a sender remembered as finished, so their stragglers are dropped, not replayed. */
const MAX_RETIRED = 8;

interface SenderState {
  epoch: number;
  /** Highest seq delivered: everything up to it was delivered exactly once. */
  last: number;
  /** Payloads that came before `last + 1`, by seq: delivered once the gap is filled. */
  early: Map<number, Buffer>;
  earlyBytes: number;
  /** When the current gap (early payloads waiting for `last + 1`) opened. */
  gapSince: number;
  retired: number[];
}

/**
 * One inbox's exactly-once, in-order delivery of payloads that arrive by two roads (direct link
 * and stream), possibly twice: per sender, a payload with seq <= the last delivered is a
 * duplicate, one beyond the next expected waits until the gap is filled (bounded: past the bounds
 * or `GAP_TIMEOUT_MS` the gap is logged and skipped), and a new epoch starts the count again.
 */
export class InboxSequencer {
  private readonly senders = new Map<string, SenderState>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly nodeId: string,
    private readonly deliver: (payload: Buffer) => void,
  ) {
    this.timer = setInterval(() => this.skipStaleGaps(), GAP_TIMEOUT_MS / 2);
    this.timer.unref();
  }

  /** The last seq delivered from (from, epoch); 0 for an epoch not seen yet. */
  lastDelivered(from: string, epoch: number): number {
    const s = this.senders.get(from);
    return s && s.epoch === epoch ? s.last : 0;
  }

  /** Takes one payload; returns the last seq delivered for its sender afterwards (for receipts). */
  accept(from: string, epoch: number, seq: number, payload: Buffer): number {
    if (this.closed) return 0;
    const s = this.stateFor(from, epoch);
    if (!s) return 0;
    if (seq <= s.last || s.early.has(seq)) return s.last;
    if (seq === s.last + 1) {
      s.last = seq;
      this.safeDeliver(payload);
      if (s.early.size > 0) this.drain(s);
      return s.last;
    }
    if (s.early.size === 0) s.gapSince = clockNow();
    s.early.set(seq, payload);
    s.earlyBytes += payload.length;
    if (s.early.size > MAX_EARLY || s.earlyBytes > MAX_EARLY_BYTES) {
      warn("link-reorder", `${this.nodeId}: over ${MAX_EARLY} payloads wait for seq ${s.last + 1} from ${from}: skipping the gap`);
      this.skipGap(s);
    }
    return s.last;
  }

  /** Delivers nothing more. */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.senders.clear();
  }

  private stateFor(from: string, epoch: number): SenderState | null {
    let s = this.senders.get(from);
    if (s && s.epoch === epoch) return s;
    if (s && s.retired.includes(epoch)) return null;
    if (s) {
      if (s.early.size > 0) warn("link-epoch", `${this.nodeId}: sender ${from} started a new link; ${s.early.size} early payload(s) of the old one dropped`);
      debug("%s: sender %s epoch %d -> %d", this.nodeId, from, s.epoch, epoch);
      s.retired.push(s.epoch);
      if (s.retired.length > MAX_RETIRED) s.retired.shift();
      s.epoch = epoch;
      s.last = 0;
      s.early = new Map();
      s.earlyBytes = 0;
      return s;
    }
    if (this.senders.size >= MAX_SENDERS) {
      const oldest = this.senders.keys().next().value as string;
      this.senders.delete(oldest);
    }
    s = { epoch, last: 0, early: new Map(), earlyBytes: 0, gapSince: 0, retired: [] };
    this.senders.set(from, s);
    return s;
  }

  private drain(s: SenderState): void {
    let next = s.early.get(s.last + 1);
    while (next) {
      s.early.delete(s.last + 1);
      s.earlyBytes -= next.length;
      s.last++;
      this.safeDeliver(next);
      next = s.early.get(s.last + 1);
    }
    if (s.early.size > 0) s.gapSince = clockNow();
  }

  /** Gives up on the missing seqs: continues from the lowest early one. */
  private skipGap(s: SenderState): void {
    let lowest = Infinity;
    for (const seq of s.early.keys()) if (seq < lowest) lowest = seq;
    if (lowest === Infinity) return;
    debug("%s: gap %d..%d skipped", this.nodeId, s.last + 1, lowest - 1);
    s.last = lowest - 1;
    this.drain(s);
  }

  private skipStaleGaps(): void {
    const now = clockNow();
    for (const [from, s] of this.senders) {
      if (s.early.size === 0 || now - s.gapSince < GAP_TIMEOUT_MS) continue;
      warn("link-gap", `${this.nodeId}: seq ${s.last + 1} from ${from} never arrived: skipping the gap`);
      this.skipGap(s);
    }
  }

  private safeDeliver(payload: Buffer): void {
    try {
      this.deliver(payload);
    } catch (err) {
      warn("inbox-handler", `inbox handler threw: ${(err as Error).stack}`);
    }
  }
}
