/**
 * Client-side helpers shared by the scenario files (a `_` file: the scenario loader skips it).
 */
import type { Socket as ClientSocket } from "socket.io-client";

/** emitWithAck with a bound, so a lost ack fails the scenario instead of hanging it. */
export function ask(c: ClientSocket, event: string, ...args: unknown[]): Promise<any> {
  return c.timeout(5_000).emitWithAck(event, ...args);
}

/** Resolves with the client once it is connected; rejects on connect_error. */
export function connected(c: ClientSocket): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    if (c.connected) return resolve(c);
    c.once("connect", () => resolve(c));
    c.once("connect_error", (err) => reject(new Error(`connect_error: ${err.message}`)));
  });
}

/** Resolves with what the client learns when its namespace CONNECT is refused. */
export function refused(c: ClientSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    c.once("connect", () => reject(new Error(`${(c as unknown as { nsp: string }).nsp}: connected, expected connect_error`)));
    c.once("connect_error", (err: Error & { data?: unknown }) =>
      resolve({ message: err.message, data: err.data, connected: c.connected, active: c.active }),
    );
  });
}

/** Polls until `get` returns something other than undefined, for at most `timeoutMs`. */
export async function until<T>(get: () => T | undefined, what: string, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Polls until `check` returns a truthy value (the scenario's own timeout bounds the wait). */
export async function untilTruthy<T>(check: () => T | undefined): Promise<T> {
  for (;;) {
    const v = check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
}
