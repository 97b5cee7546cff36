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
