/**
 * Waiting for events, not for time: the one polling helper (`waitFor`) and the event helpers
 * (`once`, `times`) of test/, compat/ and bench/. It imports nothing of the library, so compat/ and
 * bench/ (run with `node --import tsx`, like mocha) can use it as they are.
 */

/** How long and how often to wait, and what for (the timeout error names it). */
export interface WaitOptions<T = unknown> {
  /** Milliseconds before giving up. @default 5000 */
  timeout?: number;
  /** What is waited for, in the error message ("the io-node to see the app-node"). @default "condition" */
  what?: string;
  /** Milliseconds between two polls. @default 10 */
  every?: number;
  /** Whether a value of the condition ends the wait. @default truthy */
  accept?: (value: T) => boolean;
}

const DEFAULT_TIMEOUT = 5_000;
const truthy = (value: unknown): boolean => Boolean(value);

/** A value for an error message: short, and never throwing. */
function show(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
    return text.length > 300 ? `${text.slice(0, 300)}…` : text;
  } catch {
    return String(value);
  }
}

/**
 * Polls `condition` (sync or async) until it returns an accepted value (by default a truthy one),
 * and resolves with that value. An exception of the condition counts as "not yet". On timeout it
 * rejects with an Error naming `what` and the last value or exception seen.
 *
 * The positional form `waitFor(cond, timeoutMs, what)` is the same call.
 *
 * @example
 * await waitFor(() => node.connectionsCount === 0, { what: "the io-node to drop the connection" });
 */
export function waitFor<T>(condition: () => T | Promise<T>, options?: WaitOptions<T>): Promise<NonNullable<T>>;
export function waitFor<T>(condition: () => T | Promise<T>, timeoutMs?: number, what?: string): Promise<NonNullable<T>>;
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitOptions<T> | number = {},
  what?: string,
): Promise<NonNullable<T>> {
  const opts: WaitOptions<T> = typeof options === "number" ? { timeout: options, what } : options;
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
  const accept = opts.accept ?? truthy;
  const deadline = Date.now() + timeout;
  let last: { value: unknown } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await condition();
      if (accept(value)) return value as NonNullable<T>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() > deadline) {
      const seen = !last ? "" : "error" in last ? `; last error: ${show(last.error)}` : `; last value: ${show(last.value)}`;
      throw new Error(`waitFor: ${opts.what ?? "condition"} not met within ${timeout} ms${seen}`);
    }
    await delay(opts.every ?? 10);
  }
}

/**
 * Whether `condition` is met within the timeout: `waitFor` for callers that report a timeout as an
 * outcome (a compat result, a bench note) instead of failing on it.
 *
 * @example
 * if (!(await holds(() => sockets() === n, { timeout: 20_000 }))) notes.push("not every socket seen");
 */
export function holds<T>(condition: () => T | Promise<T>, options: WaitOptions<T> = {}): Promise<boolean> {
  return waitFor(condition, options).then(() => true, () => false);
}

/**
 * A timer, for the few waits that ARE about time (a fault's length, a rate). Never use it to wait
 * for something to happen: wait for that event with `waitFor` or `once`.
 */
export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/* eslint-disable @typescript-eslint/no-explicit-any -- any emitter: Node, socket.io, engine.io-client */
/** Node's EventEmitter, socket.io's and engine.io-client's: what `once` and `times` need of them. */
export interface AnyEmitter {
  on(event: any, listener: any): unknown;
  off?(event?: any, listener?: any): unknown;
  removeListener?(event: any, listener: any): unknown;
}

/** Options of `once` and `times`. */
export interface EventWaitOptions<T extends any[]> {
  /** Milliseconds before giving up. @default 5000 */
  timeout?: number;
  /** What is waited for, in the error message. @default `"<event>" event` */
  what?: string;
  /** Counts only the events whose arguments match. @default every event */
  match?: (...args: T) => boolean;
}

function stopListening(emitter: AnyEmitter, event: string, listener: (...args: any[]) => void): void {
  (emitter.off ?? emitter.removeListener)?.call(emitter, event, listener);
}

/**
 * Resolves with the arguments of the `n`th matching `event` of an emitter (with every call's
 * arguments); rejects after `timeout` with how many came.
 *
 * @example
 * const [first, second] = await times(client, "message", 2);
 */
export function times<T extends any[] = any[]>(
  emitter: AnyEmitter,
  event: string,
  n: number,
  options: EventWaitOptions<T> | number = {},
): Promise<T[]> {
  const opts: EventWaitOptions<T> = typeof options === "number" ? { timeout: options } : options;
  const timeout = opts.timeout ?? DEFAULT_TIMEOUT;
  return new Promise((resolve, reject) => {
    const got: T[] = [];
    const listener = (...args: any[]) => {
      if (opts.match && !opts.match(...(args as T))) return;
      got.push(args as T);
      if (got.length < n) return;
      clearTimeout(timer);
      stopListening(emitter, event, listener);
      resolve(got);
    };
    const timer = setTimeout(() => {
      stopListening(emitter, event, listener);
      reject(new Error(`times: ${got.length}/${n} ${opts.what ?? `"${event}" events`} within ${timeout} ms`));
    }, timeout);
    emitter.on(event, listener);
  });
}

/**
 * Resolves with the arguments of the next (matching) `event` of an emitter; rejects after `timeout`.
 *
 * @example
 * const [reason] = await once(client, "disconnect", { what: "the client to be dropped" });
 */
export async function once<T extends any[] = any[]>(
  emitter: AnyEmitter,
  event: string,
  options: EventWaitOptions<T> | number = {},
): Promise<T> {
  const opts: EventWaitOptions<T> = typeof options === "number" ? { timeout: options } : options;
  const [args] = await times<T>(emitter, event, 1, { ...opts, what: opts.what ?? `"${event}" event` }).catch((err: Error) => {
    throw new Error(err.message.replace(/^times: 0\/1/, "once: no"));
  });
  return args;
}
/* eslint-enable @typescript-eslint/no-explicit-any */
