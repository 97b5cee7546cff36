/**
 * Measurement: a high-resolution clock that two processes on one machine share, and the summary of
 * a set of latency samples.
 */
import { performance } from "perf_hooks";

/**
 * Milliseconds since the epoch, sub-millisecond. `performance.timeOrigin` is taken from the wall
 * clock when the process starts, so two processes of one machine agree to well under a millisecond:
 * good enough to timestamp a payload in the server process and read it in the client process.
 */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Latency figures in ms. */
export interface LatencySummary {
  count: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))];
}

export function summarize(samples: Float64Array | number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/** A growable store of samples (latencies of one workload). */
export class Samples {
  private data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }

  summary(): LatencySummary {
    return summarize(this.data.subarray(0, this.length));
  }
}

/** The median of some numbers (across repeated runs); NaN when there is none. */
export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}
