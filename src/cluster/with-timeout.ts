/** How long closing a node waits on Redis before it gives up on a goodbye. */
import { clearTimeout, setTimeout } from "../clock";
export const CLOSE_WAIT_MS = 2_000;

/** Resolves with `promise`, or with undefined after `ms` (the timer does not keep the process alive). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
