import { isSentinelUrl, redactSentinelUrl } from "../transport/sentinel-url";
import { isClusterUrlList } from "../transport/cluster-url";

/** A Redis URL (or a Redis Cluster's comma-separated list of them) without passwords, fit for logs. */
export function redactUrl(url: string): string {
  if (isSentinelUrl(url)) return redactSentinelUrl(url);
  if (isClusterUrlList(url)) return url.split(",").map(redactUrl).join(",");
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}
