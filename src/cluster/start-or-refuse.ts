import type { Transport } from "../transport/transport";

/**
 * Runs a node's start steps, failing as soon as the transport is refused (Redis: wrong
 * credentials, a command its ACL does not grant) rather than waiting on commands that ioredis
 * would queue and retry forever.
 *
 * @example
 * this.started = startOrRefuse(transport, () => this.start());
 */
export function startOrRefuse(transport: Transport, start: () => Promise<void>): Promise<void> {
  const refused = transport.refused?.();
  return refused ? Promise.race([start(), refused]) : start();
}
