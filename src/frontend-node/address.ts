/** Where browsers reach an io-node, as listed by `/config.js` and `/config.json`. */
export interface HostPort {
  /** Host name or IP; an IPv6 address keeps its brackets (`[::1]`), as URL's `hostname` does. */
  host: string;
  port: number;
}

/**
 * Splits a registry address (`host:port`, `[v6]:port`) into host and port, or returns undefined
 * for anything else: records come from Redis, which anyone with access can write to.
 *
 * @example
 * parseAddress("10.0.0.5:8081"); // { host: "10.0.0.5", port: 8081 }
 * parseAddress("[::1]:8081");    // { host: "[::1]", port: 8081 }
 */
export function parseAddress(address: unknown): HostPort | undefined {
  if (typeof address !== "string" || address.length > 300) return undefined;
  const match = /^(\[[0-9a-fA-F:.%\w-]+\]|[^\s:/?#[\]@"'<>\\]+):(\d{1,5})$/.exec(address);
  if (!match) return undefined;
  const port = Number(match[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: match[1], port };
}
