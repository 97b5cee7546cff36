import { createHash } from "crypto";
import type { IncomingMessage, ServerResponse } from "http";
import { gzipSync } from "zlib";

/** A small file held in memory and served with an ETag, gzip when the client takes it. */
export interface StaticAsset {
  body: Buffer;
  gzipped?: Buffer;
  etag: string;
  contentType: string;
}

/**
 * Builds an asset from its content. Text bigger than a few KB is also kept gzipped: the Socket.IO
 * browser bundle is ~45 KB and is loaded by every page.
 *
 * @example
 * const asset = makeAsset(Buffer.from("var x = 1;"), "text/javascript; charset=utf-8");
 */
export function makeAsset(body: Buffer, contentType: string): StaticAsset {
  const etag = `"${createHash("sha1").update(body).digest("base64url").slice(0, 20)}"`;
  return { body, etag, contentType, gzipped: body.length > 2048 ? gzipSync(body) : undefined };
}

/**
 * Answers a GET or HEAD for an asset: 304 when the client's copy is current. `no-cache` makes
 * browsers revalidate each time, so a new version is picked up at once yet costs a 304 only.
 */
export function sendAsset(req: IncomingMessage, res: ServerResponse, asset: StaticAsset, headers: Record<string, string> = {}): void {
  const common = { ETag: asset.etag, "Cache-Control": "no-cache", Vary: "Accept-Encoding", ...headers };
  const match = req.headers["if-none-match"];
  if (match && match.split(/\s*,\s*/).some((tag) => tag === asset.etag || tag === `W/${asset.etag}`)) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  const gzip = asset.gzipped && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
  const body = gzip ? asset.gzipped! : asset.body;
  res.writeHead(200, {
    ...common,
    "Content-Type": asset.contentType,
    "Content-Length": body.length,
    "X-Content-Type-Options": "nosniff",
    ...(gzip ? { "Content-Encoding": "gzip" } : {}),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}
