import type { RedisOptions } from "ioredis";
import { ClusterOptionsError } from "../errors";

/** The scheme of a Redis-behind-Sentinel URL (the form Lettuce and Spring use for the same thing). */
const SCHEME = "redis-sentinel:";
const DEFAULT_SENTINEL_PORT = 26379;

/** Whether a Redis URL names Sentinels rather than one Redis (`redis-sentinel://...`). */
export function isSentinelUrl(url: string): boolean {
  return url.slice(0, SCHEME.length).toLowerCase() === SCHEME;
}

/**
 * ioredis options for a Sentinel URL, so that a Sentinel deployment fits wherever one URL goes
 * (`--redis`, SOCKET_IO_CLUSTER_REDIS_URL). A standard URL parser cannot take it: it has several
 * hosts. Form:
 *
 *   redis-sentinel://[[user]:password@]host[:port][,host[:port]...][/db]?name=mymaster[&sentinelPassword=...][&sentinelUsername=...]
 *
 * The credentials before `@` are the primary's and replicas' (ioredis `username`, `password`),
 * those in the query the Sentinels' own; a Sentinel's port defaults to 26379. Throws on a URL
 * without hosts or without `name`.
 *
 * @example
 * parseSentinelUrl("redis-sentinel://10.0.0.1,10.0.0.2:26380/2?name=mymaster");
 * // { sentinels: [{ host: "10.0.0.1", port: 26379 }, { host: "10.0.0.2", port: 26380 }], name: "mymaster", db: 2 }
 */
export function parseSentinelUrl(url: string): RedisOptions {
  if (!isSentinelUrl(url)) throw new ClusterOptionsError(`not a ${SCHEME}// URL`);
  const rest = url.slice(SCHEME.length).replace(/^\/\//, "");
  const [beforeQuery, query = ""] = splitOnce(rest, "?");
  const [authority, path = ""] = splitOnce(beforeQuery, "/");
  const at = authority.lastIndexOf("@");
  const userInfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hosts = at >= 0 ? authority.slice(at + 1) : authority;
  const sentinels = hosts
    .split(",")
    .filter((h) => h !== "")
    .map((h) => parseHost(h, url));
  if (sentinels.length === 0) throw new ClusterOptionsError(`${redactSentinelUrl(url)}: no Sentinel host`);
  const params = new URLSearchParams(query);
  const name = params.get("name");
  if (!name) throw new ClusterOptionsError(`${redactSentinelUrl(url)}: the primary's name is missing (?name=mymaster)`);
  const options: RedisOptions = { sentinels, name };
  if (userInfo !== undefined) {
    const [user, password] = splitOnce(userInfo, ":");
    if (user) options.username = decodeURIComponent(user);
    if (password !== undefined) options.password = decodeURIComponent(password);
  }
  const db = path.replace(/\/+$/, "");
  if (db !== "") {
    if (!/^\d+$/.test(db)) throw new ClusterOptionsError(`${redactSentinelUrl(url)}: the database must be a number, got "${db}"`);
    options.db = Number(db);
  }
  const sentinelPassword = params.get("sentinelPassword");
  if (sentinelPassword !== null) options.sentinelPassword = sentinelPassword;
  const sentinelUsername = params.get("sentinelUsername");
  if (sentinelUsername !== null) options.sentinelUsername = sentinelUsername;
  return options;
}

/**
 * The URL with its passwords (primary's and Sentinels') replaced by `***`, fit for logs.
 *
 * @example
 * redactSentinelUrl("redis-sentinel://:s3cret@h1,h2?name=m"); // "redis-sentinel://:***@h1,h2?name=m"
 */
export function redactSentinelUrl(url: string): string {
  return url.replace(/^([^/]*\/\/[^:@/]*:)[^@/]*@/, "$1***@").replace(/([?&]sentinelPassword=)[^&]*/, "$1***");
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
function parseHost(raw: string, url: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(raw);
  if (!m) throw new ClusterOptionsError(`${redactSentinelUrl(url)}: bad Sentinel address "${raw}"`);
  const port = m[3] === undefined ? DEFAULT_SENTINEL_PORT : Number(m[3]);
  if (port < 1 || port > 65535) throw new ClusterOptionsError(`${redactSentinelUrl(url)}: bad Sentinel port in "${raw}"`);
  return { host: m[1] ?? m[2], port };
}
