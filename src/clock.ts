/**
 * The timer functions and clock of the process, as they were when this module loaded.
 *
 * Why: an application's own tests often fake the globals for a while (`@sinonjs/fake-timers`,
 * `jest.useFakeTimers()`) in the process that runs the Server. A callback the cluster scheduled on
 * the fake clock would never fire once the fakes are removed, and the flag that says "a flush is
 * scheduled" (or "a receipt timer runs", "a reader backs off") would then stay set forever: the
 * relay link, heartbeat or reader behind it would hang for good. Plain Socket.IO writes to its
 * sockets without timers and keeps working; the cluster's own scheduling must too, so every timer
 * of src/ (relay batching, receipts, heartbeats, readers, links) goes through these, and liveness
 * is measured on the real clock.
 *
 * Captured at load: a fake installed before socket.io-cluster is first required would be captured
 * too, which is why fakes are normally installed in a test, after the imports.
 */

const g = globalThis;

export const setTimeout: typeof g.setTimeout = g.setTimeout;
export const clearTimeout: typeof g.clearTimeout = g.clearTimeout;
export const setInterval: typeof g.setInterval = g.setInterval;
export const clearInterval: typeof g.clearInterval = g.clearInterval;
export const setImmediate: typeof g.setImmediate = g.setImmediate;
export const clearImmediate: typeof g.clearImmediate = g.clearImmediate;

const RealDate = g.Date;

/** Milliseconds since the epoch on the real clock (`Date.now()` unless the app faked `Date` since). */
export function now(): number {
  return RealDate.now();
}
