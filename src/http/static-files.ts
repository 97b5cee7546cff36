import { createReadStream, promises as fs } from "fs";
import type { IncomingMessage, ServerResponse } from "http";
import { extname, join, resolve, sep } from "path";
import { debug as makeDebug } from "../log";

const debug = makeDebug("cli:static");

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Serves the files of `rootDir` (`index.html` for a directory) and answers 404 for anything else:
 * paths outside the root (`..`, encoded or not, or a symlink leading out), dotfiles, unknown
 * file types and missing files. Meant for a demo's few pages, not as a production file server.
 *
 * @example
 * http.createServer(createStaticHandler("./public"));
 */
export function createStaticHandler(rootDir: string): RequestHandler {
  const root = resolve(rootDir);
  // the real root, so a symlinked root still works while links pointing out of it do not
  const realRoot = fs.realpath(root).catch(() => root);
  return (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return reply(res, 405, "Method Not Allowed", { Allow: "GET, HEAD" });
    resolveFile(root, realRoot, req.url ?? "/")
      .then((file) => {
        if (!file) return reply(res, 404, "Not Found");
        res.writeHead(200, {
          "Content-Type": CONTENT_TYPES[extname(file.path).toLowerCase()],
          "Content-Length": file.size,
          "X-Content-Type-Options": "nosniff",
          "Cache-Control": "no-cache",
        });
        if (req.method === "HEAD") return void res.end();
        const stream = createReadStream(file.path);
        stream.on("error", () => res.destroy());
        stream.pipe(res);
      })
      .catch((err: Error) => {
        debug("serving %s failed: %s", req.url, err.message);
        reply(res, 500, "Internal Server Error");
      });
  };
}

/** The file a URL names inside the root, or undefined when it must not be served. */
async function resolveFile(root: string, realRoot: Promise<string>, url: string): Promise<{ path: string; size: number } | undefined> {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, "http://x").pathname);
  } catch {
    return undefined;
  }
  if (pathname.includes("\0")) return undefined;
  const segments = pathname.split(/[/\\]+/).filter(Boolean);
  if (segments.some((s) => s.startsWith("."))) return undefined;
  let path = resolve(root, ...segments);
  if (path !== root && !path.startsWith(root + sep)) return undefined;
  const stat = await fs.stat(path).catch(() => undefined);
  if (stat?.isDirectory()) path = join(path, "index.html");
  if (!CONTENT_TYPES[extname(path).toLowerCase()]) return undefined;
  const real = await fs.realpath(path).catch(() => undefined);
  const base = await realRoot;
  if (!real || !real.startsWith(base + sep)) return undefined;
  const fileStat = await fs.stat(real).catch(() => undefined);
  if (!fileStat?.isFile()) return undefined;
  return { path: real, size: fileStat.size };
}

function reply(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
  res.end(text);
}
