import { isSentinelUrl, redactSentinelUrl } from "../transport/sentinel-url";

/** A Redis URL without its password, fit for logs and summaries. */
export function redactUrl(url: string): string {
  if (isSentinelUrl(url)) return redactSentinelUrl(url);
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url;
  }
}
