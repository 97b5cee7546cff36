import type { ClusterNode, ClusterOptions } from "ioredis";
import { ClusterOptionsError } from "../errors";

/**
 * A Redis Cluster given where one URL goes (`--redis`, SOCKET_IO_CLUSTER_REDIS_URL): a
 * comma-separated list of node URLs, `redis://10.0.0.1:7000,redis://10.0.0.2:7001`. A Sentinel URL
 * has commas too but its own scheme, and is not a list.
 */
export function isClusterUrlList(url: string): boolean {
  return url.includes(",") && !/^redis-sentinel:/i.test(url);
}

/**
 * ioredis Cluster startup nodes and options for a list of node URLs (`redis://` or `rediss://`;
 * a bare `host:port` takes the first URL's scheme). ioredis uses one set of connection options for
 * every node of a cluster, including those it discovers, so the credentials and TLS of the first
 * URL apply to all of them. Throws on an empty list, a database other than 0 (Redis Cluster has
 * only database 0) or URLs that disagree on the scheme.
 *
 * @example
 * parseClusterUrls("rediss://:pw@10.0.0.1:7000,10.0.0.2:7001");
 * // { nodes: [{ host: "10.0.0.1", port: 7000 }, { host: "10.0.0.2", port: 7001 }],
 * //   options: { redisOptions: { password: "pw", tls: {} } } }
 */
export function parseClusterUrls(urls: string | string[]): { nodes: ClusterNode[]; options: ClusterOptions } {
  const list = (typeof urls === "string" ? urls.split(",") : urls).map((u) => u.trim()).filter((u) => u !== "");
  if (list.length === 0) throw new ClusterOptionsError("a Redis Cluster needs at least one node URL");
  // a bare host:port takes the scheme of the first URL
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(list[0])?.[1] ?? "redis";
  const parsed = list.map((raw) => parseNodeUrl(SCHEME.test(raw) ? raw : `${scheme}://${raw}`));
  const [first] = parsed;
  if (parsed.some((p) => p.url.protocol !== first.url.protocol)) {
    throw new ClusterOptionsError(`${redactClusterUrls(list.join(","))}: every node of a Redis Cluster must use the same scheme`);
  }
  const redisOptions: NonNullable<ClusterOptions["redisOptions"]> = {};
  if (first.url.username) redisOptions.username = decodeURIComponent(first.url.username);
  if (first.url.password) redisOptions.password = decodeURIComponent(first.url.password);
  if (first.url.protocol === "rediss:") redisOptions.tls = {};
  const options: ClusterOptions = Object.keys(redisOptions).length > 0 ? { redisOptions } : {};
  return { nodes: parsed.map((p) => ({ host: p.host, port: p.port })), options };
}

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

function parseNodeUrl(raw: string): { url: URL; host: string; port: number } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ClusterOptionsError(`"${redactClusterUrls(raw)}" is not a Redis node URL (redis://host:port)`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new ClusterOptionsError(`"${redactClusterUrls(raw)}": a Redis Cluster node URL starts with redis:// or rediss://`);
  }
  const db = url.pathname.replace(/^\/+|\/+$/g, "");
  if (db !== "" && db !== "0") {
    throw new ClusterOptionsError(`"${redactClusterUrls(raw)}": Redis Cluster has only database 0, got database ${db}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
  return { url, host, port: Number(url.port) || 6379 };
}

/**
 * The list with each URL's password replaced by `***`, fit for logs.
 *
 * @example
 * redactClusterUrls("redis://:a@h1:7000,redis://:b@h2:7001"); // "redis://:***@h1:7000,redis://:***@h2:7001"
 */
export function redactClusterUrls(urls: string): string {
  return urls
    .split(",")
    .map((u) => u.replace(/^(\s*(?:[^/]*\/\/)?[^:@/]*:)[^@/]*@/, "$1***@"))
    .join(",");
}
