/**
 * The HTTP side of a Socket.IO server: CORS, allowRequest, the served client bundle, a custom
 * path. On "split" the io-nodes answer these requests.
 */
import { createHash } from "crypto";
import { readFileSync } from "fs";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "http";
import { dirname, join } from "path";
import { brotliDecompressSync, gunzipSync, inflateSync } from "zlib";
import type { Server as SocketIOServer } from "socket.io";
import { scenarios } from "../scenario";
import { engineUrl, httpRequest, HttpResult, statusAndBody, wsOutcome } from "./wire";

/** Only the CORS headers (and Vary) of a response, sorted. */
function corsHeaders(res: HttpResult | "no response"): unknown {
  if (res === "no response") return res;
  const out: Record<string, unknown> = { status: res.status };
  for (const k of Object.keys(res.headers).sort()) {
    if (k.startsWith("access-control-") || k === "vary") out[k] = res.headers[k];
  }
  return out;
}

const clientDist = join(dirname(require.resolve("socket.io/package.json")), "client-dist");

function decoded(res: HttpResult): Buffer {
  switch (res.headers["content-encoding"]) {
    case "br":
      return brotliDecompressSync(res.body);
    case "gzip":
      return gunzipSync(res.body);
    case "deflate":
      return inflateSync(res.body);
    default:
      return res.body;
  }
}

/** What a GET of a client bundle file returns: headers that matter, and whether the body is the file. */
async function bundle(url: string, file: string, headers: Record<string, string> = {}): Promise<unknown> {
  const res = await httpRequest(url, { headers });
  if (res === "no response") return res;
  if (res.status !== 200) return statusAndBody(res);
  const body = decoded(res);
  let sameAsFile: boolean | string;
  try {
    const expected = readFileSync(join(clientDist, file));
    sameAsFile = createHash("sha256").update(body).digest("hex") === createHash("sha256").update(expected).digest("hex");
  } catch {
    sameAsFile = "no such file in client-dist";
  }
  return {
    status: res.status,
    contentType: res.headers["content-type"],
    cacheControl: res.headers["cache-control"],
    etag: res.headers.etag,
    contentEncoding: res.headers["content-encoding"],
    sameAsFile,
  };
}

/** An application's own 404 for the requests Socket.IO does not take (on servers that have an HTTP server). */
function notFoundFallback(io: SocketIOServer, ownPrefix: string): void {
  const http = (io as unknown as { httpServer?: HttpServer }).httpServer;
  http?.on("request", (req: IncomingMessage, res: ServerResponse) => {
    if (!(req.url ?? "").startsWith(ownPrefix)) {
      res.writeHead(404);
      res.end("not found");
    }
  });
}

function status(res: HttpResult | "no response"): number | "no response" {
  return res === "no response" ? res : res.status;
}

const ORIGIN = "http://example.com";

export default scenarios("http", [
  {
    name: "CORS headers on the polling handshake, a preflight, an error response and other origins",
    serverOptions: { cors: { origin: ORIGIN, credentials: true } },
    async run(ctx) {
      const base = ctx.url(0);
      const handshake = engineUrl(base, "EIO=4&transport=polling");
      return {
        get: corsHeaders(await httpRequest(handshake, { headers: { origin: ORIGIN } })),
        preflight: corsHeaders(
          await httpRequest(handshake, {
            method: "OPTIONS",
            headers: {
              origin: ORIGIN,
              "access-control-request-method": "POST",
              "access-control-request-headers": "content-type, x-custom",
            },
          }),
        ),
        badSid: corsHeaders(await httpRequest(engineUrl(base, "EIO=4&transport=polling&sid=nope"), { headers: { origin: ORIGIN } })),
        otherOrigin: corsHeaders(await httpRequest(handshake, { headers: { origin: "http://evil.example" } })),
        noOrigin: corsHeaders(await httpRequest(handshake)),
      };
    },
  },
  {
    name: "CORS with an origin list and custom methods/headers",
    serverOptions: {
      cors: { origin: ["http://a.example", "http://b.example"], methods: ["GET", "POST"], allowedHeaders: ["x-token"], exposedHeaders: ["x-info"], maxAge: 600 },
    },
    async run(ctx) {
      const handshake = engineUrl(ctx.url(0), "EIO=4&transport=polling");
      return {
        getB: corsHeaders(await httpRequest(handshake, { headers: { origin: "http://b.example" } })),
        preflightA: corsHeaders(
          await httpRequest(handshake, {
            method: "OPTIONS",
            headers: { origin: "http://a.example", "access-control-request-method": "POST" },
          }),
        ),
        getC: corsHeaders(await httpRequest(handshake, { headers: { origin: "http://c.example" } })),
      };
    },
  },
  {
    name: "CORS headers on the served client bundle",
    serverOptions: { cors: { origin: ORIGIN, credentials: true } },
    async run(ctx) {
      const res = await httpRequest(`${ctx.url(0)}/socket.io/socket.io.js`, { headers: { origin: ORIGIN } });
      return corsHeaders(res);
    },
  },
  {
    name: "allowRequest rejects: polling and websocket handshakes, client connect_error",
    serverOptions: {
      allowRequest: (req, cb) => {
        const ok = req.headers["x-token"] === "ok";
        cb(ok ? null : "token required", ok);
      },
    },
    setup(io) {
      io.on("connection", (socket) => socket.on("hi", (ack: (s: string) => void) => ack("hello")));
    },
    async run(ctx) {
      const base = ctx.url(0);
      const polling = statusAndBody(await httpRequest(engineUrl(base, "EIO=4&transport=polling")));
      const pollingOk = (await httpRequest(engineUrl(base, "EIO=4&transport=polling"), { headers: { "x-token": "ok" } })) as HttpResult;
      const websocket = await wsOutcome(engineUrl(base.replace(/^http/, "ws"), "EIO=4&transport=websocket"));
      const errors: Record<string, string> = {};
      for (const transports of [["polling"], ["websocket"]]) {
        const c = ctx.client("/", { node: 0, transports });
        errors[transports[0]] = await new Promise<string>((resolve) => {
          c.once("connect", () => resolve("connected"));
          c.once("connect_error", (err) => resolve(err.message));
        });
        c.disconnect();
      }
      const allowed = await ctx.connect("/", { node: 0, extraHeaders: { "x-token": "ok" } });
      return {
        polling,
        pollingAllowed: pollingOk.status,
        websocket,
        errors,
        allowedClient: await allowed.emitWithAck("hi"),
      };
    },
  },
  {
    name: "serveClient: socket.io.js with ETag, 304 on If-None-Match",
    async run(ctx) {
      const url = `${ctx.url(0)}/socket.io/socket.io.js`;
      const first = await httpRequest(url);
      if (first === "no response") return first;
      const etag = String(first.headers.etag);
      const again = await httpRequest(url, { headers: { "if-none-match": etag } });
      const weak = await httpRequest(url, { headers: { "if-none-match": `W/${etag}` } });
      const other = await httpRequest(url, { headers: { "if-none-match": '"0.0.0"' } });
      return {
        first: await bundle(url, "socket.io.js"),
        etagIsVersion: etag === `"${(require("socket.io/package.json") as { version: string }).version}"`,
        ifNoneMatch: again === "no response" ? again : { status: again.status, length: again.body.length },
        weakIfNoneMatch: weak === "no response" ? weak : weak.status,
        otherEtag: other === "no response" ? other : other.status,
        withQuery: await bundle(`${url}?v=1`, "socket.io.js"),
      };
    },
  },
  {
    name: "serveClient: min, map, esm and msgpack bundles, unknown file",
    async run(ctx) {
      const base = `${ctx.url(0)}/socket.io/`;
      const out: Record<string, unknown> = {};
      for (const f of [
        "socket.io.min.js",
        "socket.io.js.map",
        "socket.io.min.js.map",
        "socket.io.esm.min.js",
        "socket.io.msgpack.min.js",
        "socket.io.msgpack.min.js.map",
      ]) {
        out[f] = await bundle(base + f, f);
      }
      out["socket.io.foo.js"] = statusAndBody(await httpRequest(base + "socket.io.foo.js"));
      return out;
    },
  },
  {
    name: "serveClient: compressed bundle (gzip, deflate, br)",
    async run(ctx) {
      const url = `${ctx.url(0)}/socket.io/socket.io.min.js`;
      const out: Record<string, unknown> = {};
      for (const enc of ["gzip", "deflate", "br", "br, gzip, deflate", "identity"]) {
        out[enc] = await bundle(url, "socket.io.min.js", { "accept-encoding": enc });
      }
      return out;
    },
  },
  {
    name: "serveClient: false does not serve the bundle",
    serverOptions: { serveClient: false },
    async run(ctx) {
      return {
        js: statusAndBody(await httpRequest(`${ctx.url(0)}/socket.io/socket.io.js`)),
        min: statusAndBody(await httpRequest(`${ctx.url(0)}/socket.io/socket.io.min.js`)),
      };
    },
  },
  {
    name: "custom path: clients connect on it, the bundle is served there, the default path is not Socket.IO",
    serverOptions: { path: "/custom" },
    setup(io) {
      notFoundFallback(io, "/custom/");
      io.on("connection", (socket) => socket.on("hi", (ack: (s: string) => void) => ack("hello")));
    },
    async run(ctx) {
      const base = ctx.url(0);
      const polling = await ctx.connect("/", { node: 0, path: "/custom", transports: ["polling"] });
      const ws = await ctx.connect("/", { node: 0, path: "/custom", transports: ["websocket"] });
      const wrong = ctx.client("/", { node: 0, transports: ["websocket"] });
      const wrongPath = await new Promise<string>((resolve) => {
        wrong.once("connect", () => resolve("connected"));
        wrong.once("connect_error", (err) => resolve(err.message));
      });
      wrong.disconnect();
      return {
        polling: await polling.emitWithAck("hi"),
        websocket: await ws.emitWithAck("hi"),
        handshake: (await httpRequest(engineUrl(base, "EIO=4&transport=polling", "/custom/")) as HttpResult).status,
        bundle: await bundle(`${base}/custom/socket.io.js`, "socket.io.js"),
        // the application's own 404 (io-nodes have their own): only the status is compared
        defaultPathHandshake: status(await httpRequest(engineUrl(base, "EIO=4&transport=polling"))),
        defaultPathBundle: status(await httpRequest(`${base}/socket.io/socket.io.js`)),
        wrongPath,
      };
    },
  },
]);
