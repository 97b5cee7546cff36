import debugModule from "debug";

/**
 * Logging: `debug` namespaces for tracing (DEBUG=socket.io-cluster:*), and `warn` for what an
 * operator must see (a dead node, a Redis outage, a dropped malformed batch). Repeated warnings of
 * one kind are folded to one line every `WARN_EVERY_MS`, so a flood of bad input cannot flood logs.
 */
export const debug = (name: string) => debugModule(`socket.io-cluster:${name}`);

const WARN_EVERY_MS = 10_000;
const lastWarned = new Map<string, { at: number; suppressed: number }>();

export function warn(kind: string, message: string): void {
  if (process.env.SOCKET_IO_CLUSTER_QUIET === "1") return;
  const now = Date.now();
  const last = lastWarned.get(kind);
  if (last && now - last.at < WARN_EVERY_MS) {
    last.suppressed++;
    return;
  }
  const folded = last && last.suppressed > 0 ? ` (+${last.suppressed} similar)` : "";
  lastWarned.set(kind, { at: now, suppressed: 0 });
  console.warn(`[socket.io-cluster] ${message}${folded}`);
}
