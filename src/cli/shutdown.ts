import { debug as makeDebug } from "../log";

const debug = makeDebug("cli");

/**
 * A signal this soon after the first is the same request delivered twice: a terminal's Ctrl-C
 * reaches the whole process group, and wrappers such as `npm start` forward it once more.
 */
const DUPLICATE_SIGNAL_MS = 1_000;

/**
 * Runs `stop` on the first SIGINT or SIGTERM, then exits with its code. A later signal while
 * stopping exits at once with code 1, so an impatient second Ctrl-C always works.
 */
export function exitOnSignal(stop: (signal: NodeJS.Signals) => Promise<number | void>): void {
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_MS) return;
      debug("second %s: exiting now", signal);
      process.exit(1);
    }
    firstSignalAt = Date.now();
    debug("%s: stopping", signal);
    stop(signal).then(
      (code) => process.exit(code ?? 0),
      (err: Error) => {
        console.error(`socket.io-cluster: error while stopping: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** Rejects after `ms` so a shutdown step that hangs (e.g. Redis gone) cannot block exit forever. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
