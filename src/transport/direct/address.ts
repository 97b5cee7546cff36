import { networkInterfaces } from "os";
import { CLUSTER_DEFAULTS } from "../../defaults";

/** Where a node's link server listens and what address peers are told to use. */
export interface LinkAddressOptions {
  /**
   * Interface the link server binds. The default keeps the relay port off the network: nodes on
   * one machine link directly, nodes on other machines use the Redis streams until their link
   * server binds a reachable interface (`"0.0.0.0"` with `advertise`).
   * @default "127.0.0.1"
   */
  host?: string;
  /**
   * Port of the link server; 0 picks a free one (fix it where only known ports are reachable).
   * @default 0
   */
  port?: number;
  /**
   * Host peers connect to, published in Redis with the port.
   * @default `host` when it names one interface, else the first non-internal IPv4 of the machine, else "127.0.0.1"
   */
  advertise?: string;
}

/** Where the link server listens unless told otherwise. */
export const DEFAULT_LINK_HOST: string = CLUSTER_DEFAULTS.link.host;
/** Its port unless told otherwise (0: a free one). */
export const DEFAULT_LINK_PORT: number = CLUSTER_DEFAULTS.link.port;

const ANY = new Set(["0.0.0.0", "::", ""]);

/** The host to publish for a server bound to `host`. */
export function advertisedHost(opts: LinkAddressOptions): string {
  if (opts.advertise) return opts.advertise;
  const host = opts.host ?? DEFAULT_LINK_HOST;
  if (!ANY.has(host)) return host;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/** "host:port" as published; IPv6 hosts in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A published address, or null for anything else (anyone can write to Redis). */
export function parseAddress(raw: string | null): { host: string; port: number } | null {
  if (!raw || raw.length > 300) return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([\w.-]+)):(\d{1,5})$/.exec(raw);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}
