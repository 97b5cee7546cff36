import accepts from "accepts";
import corsMiddleware, { CorsOptions, CorsOptionsDelegate } from "cors";
import { createReadStream, existsSync } from "fs";
import type { IncomingMessage, ServerResponse, Server as HttpServer } from "http";
import { dirname, join } from "path";
import { pipeline, Transform } from "stream";
import { createBrotliCompress, createDeflate, createGzip } from "zlib";

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

const COMPRESSORS: Record<string, () => Transform> = {
  br: createBrotliCompress,
  gzip: createGzip,
  deflate: createDeflate,
};

/** Whether `name` is a file of the Socket.IO browser client (socket.io.js, .min.js, .map, …). */
export function isSocketIoClientFile(name: string): boolean {
  return FILES.has(name) && existsSync(join(clientDir, name));
}

/**
 * Serves the Socket.IO browser client under `<path>/socket.io.js` (and its min, esm, msgpack and
 * map variants) in front of the server's other request handlers, as Socket.IO's `serveClient`
 * does: same ETag, compression by the client's preference, CORS headers when `cors` is set.
 *
 * @example
 * serveClientBundle(httpServer, "/socket.io", { origin: "*" });
 */
export function serveClientBundle(httpServer: HttpServer, path: string, cors?: CorsOptions | CorsOptionsDelegate): void {
  const prefix = path.replace(/\/$/, "") + "/";
  const withCors = cors ? corsMiddleware(cors as CorsOptions) : undefined;
  const others = httpServer.listeners("request").slice();
  httpServer.removeAllListeners("request");
  httpServer.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? "";
    if (url.startsWith(prefix)) {
      const file = url.slice(prefix.length).replace(/\?.*$/, "");
      if (isSocketIoClientFile(file)) {
        if (withCors) withCors(req, res, () => sendSocketIoClientFile(file, req, res));
        else sendSocketIoClientFile(file, req, res);
        return;
      }
    }
    for (const handler of others) (handler as (q: IncomingMessage, s: ServerResponse) => void).call(httpServer, req, res);
  });
}

/**
 * Answers a request for one file of the browser client: the ETag is socket.io's version (as
 * socket.io sets it), 304 on a match, br/gzip/deflate as the client prefers.
 */
export function sendSocketIoClientFile(file: string, req: IncomingMessage, res: ServerResponse): void {
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
  const encoding = accepts(req).encodings(["br", "gzip", "deflate"]);
  const onEnd = (err?: Error | null) => {
    if (err) res.end();
  };
  if (encoding && COMPRESSORS[encoding]) {
    res.writeHead(200, { "Content-Encoding": encoding });
    pipeline(stream, COMPRESSORS[encoding](), res, onEnd);
  } else {
    res.writeHead(200);
    pipeline(stream, res, onEnd);
  }
}
