import { createReadStream, existsSync } from "fs";
import type { IncomingMessage, ServerResponse, Server as HttpServer } from "http";
import { dirname, join } from "path";
import { createGzip } from "zlib";

const socketIoDir = dirname(require.resolve("socket.io/package.json"));
const clientDir = join(socketIoDir, "client-dist");
// the bundle is the one socket.io ships, so its ETag is socket.io's own
const etag = `"${(require("socket.io/package.json") as { version: string }).version}"`;
const FILES = new Set([
  "socket.io.js",
  "socket.io.js.map",
  "socket.io.min.js",
  "socket.io.min.js.map",
  "socket.io.esm.min.js",
  "socket.io.esm.min.js.map",
  "socket.io.msgpack.min.js",
  "socket.io.msgpack.min.js.map",
]);

/**
 * Serves the Socket.IO browser client under `<path>/socket.io.js` (and its min, esm, msgpack and
 * map variants) in front of the server's other request handlers, as Socket.IO's `serveClient` does.
 */
export function serveClientBundle(httpServer: HttpServer, path: string): void {
  const prefix = path.replace(/\/$/, "") + "/";
  const others = httpServer.listeners("request").slice();
  httpServer.removeAllListeners("request");
  httpServer.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    if (url.startsWith(prefix)) {
      const file = url.slice(prefix.length).replace(/\?.*$/, "");
      if (FILES.has(file) && existsSync(join(clientDir, file))) return sendFile(file, req, res);
    }
    for (const handler of others) (handler as (q: IncomingMessage, s: ServerResponse) => void).call(httpServer, req, res);
  });
}

function sendFile(file: string, req: IncomingMessage, res: ServerResponse): void {
  const match = req.headers["if-none-match"];
  if (match === etag || match === `W/${etag}`) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.setHeader("Cache-Control", "public, max-age=0");
  res.setHeader("Content-Type", `application/${file.endsWith(".map") ? "json" : "javascript"}; charset=utf-8`);
  res.setHeader("ETag", etag);
  const stream = createReadStream(join(clientDir, file));
  stream.on("error", () => res.end());
  if (/\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""))) {
    res.writeHead(200, { "Content-Encoding": "gzip" });
    stream.pipe(createGzip()).pipe(res);
  } else {
    res.writeHead(200);
    stream.pipe(res);
  }
}
