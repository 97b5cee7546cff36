import { debug as makeDebug } from "../log";

const debug = makeDebug("cli");

/**
 * Runs `stop` on the first SIGINT or SIGTERM, then exits with its code. A second signal while
 * stopping exits at once with code 1, so an impatient Ctrl-C always works.
 */
export function exitOnSignal(stop: (signal: NodeJS.Signals) => Promise<number | void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      debug("second %s: exiting now", signal);
      process.exit(1);
    }
    stopping = true;
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
