import { createServer, Server as HttpServer } from "http";
import type { AddressInfo } from "net";
import { createIoNode } from "../io-node/io-node";
import type { IoNodeOptions } from "../io-node/io-node-options";
import { debug as makeDebug } from "../log";
import { redactUrl } from "./redact-url";
import { integerFlag, parseCommandArgs, portFlag, UsageError } from "./args";
import { closeOnSignal, directoryFlag, listenError, NODE_OPTIONS, nodeOptionsHelp, readyOrNotice, requiredNodeFlags } from "./node-command";
import { urlHost } from "../http/listen";
import { CLUSTER_ENV, IO_NODE_DEFAULTS } from "../defaults";
import { createStaticHandler, RequestHandler } from "../http/static-files";

const debug = makeDebug("cli:io-node");

export const IO_NODE_HELP = `Usage: socket.io-cluster io-node --port PORT [options]

Starts a standalone io-node: it holds Socket.IO client connections (WebSocket and
HTTP long-polling) and relays them through Redis to the app-nodes of the cluster.

Options:
${nodeOptionsHelp(28, [
  ["--path PATH", `Socket.IO path (default: ${IO_NODE_DEFAULTS.path})`],
  ["--public-address HOST:PORT", "address browsers use to reach this node (default: the bound one)"],
  ["--cors-origin ORIGIN", "allow cross-origin clients from ORIGIN; repeat it for several,", "or use * for any origin"],
  ["--transports LIST", `comma-separated transports (default: ${IO_NODE_DEFAULTS.transports.join(",")})`],
  ["--max-http-buffer-size N", `largest message a client may send, in bytes (default: ${IO_NODE_DEFAULTS.maxHttpBufferSize})`],
  ["--ping-interval MS", `Engine.IO heartbeat interval (default: ${IO_NODE_DEFAULTS.pingInterval})`],
  ["--ping-timeout MS", `Engine.IO heartbeat timeout (default: ${IO_NODE_DEFAULTS.pingTimeout})`],
  ["--no-serve-client", "do not serve the browser client at <path>/socket.io.js"],
  ["--static DIR", "also serve the files of DIR (index.html at /)"],
])}`;

const OPTIONS = {
  ...NODE_OPTIONS,
  path: { type: "string" },
  "cors-origin": { type: "string", multiple: true },
  transports: { type: "string" },
  "max-http-buffer-size": { type: "string" },
  "ping-interval": { type: "string" },
  "ping-timeout": { type: "string" },
  "no-serve-client": { type: "boolean" },
} as const;

const TRANSPORTS: readonly string[] = IO_NODE_DEFAULTS.transports;
/** The line an io-node prints once it serves clients; `dev` waits for it. */
export const IO_NODE_READY_LINE = /^io-node \S+ listening on http:/;

/**
 * `socket.io-cluster io-node`: runs a standalone io-node until SIGINT or SIGTERM.
 * Throws a UsageError for bad flags or a missing Redis.
 */
export async function runIoNodeCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (values.help) return void process.stdout.write(IO_NODE_HELP);
  const { port, redis } = requiredNodeFlags(
    values,
    `an io-node needs Redis: pass --redis redis://host:6379 or set ${CLUSTER_ENV.redis}.\n` +
      "A standalone io-node only relays connections to app-nodes through Redis; to run one process\n" +
      "without Redis, just start your app (new Server(...) then behaves as plain Socket.IO).",
  );
  const path = values.path ?? IO_NODE_DEFAULTS.path;
  if (!path.startsWith("/")) throw new UsageError(`--path must start with "/", got "${path}"`);

  const httpServer = createServer(values.static ? createStaticHandler(directoryFlag("static", values.static)) : notFound);
  const options: IoNodeOptions = {
    httpServer,
    redis,
    prefix: values.prefix,
    path,
    publicAddress: values["public-address"],
    transports: transportsFlag(values.transports) as IoNodeOptions["transports"],
    maxHttpBufferSize: integerFlag("max-http-buffer-size", values["max-http-buffer-size"], 1),
    pingInterval: integerFlag("ping-interval", values["ping-interval"], 1),
    pingTimeout: integerFlag("ping-timeout", values["ping-timeout"], 1),
    cors: corsFlag(values["cors-origin"]),
    serveClient: !values["no-serve-client"],
    metricsPort: portFlag("metrics-port", values["metrics-port"]),
  };
  for (const key of Object.keys(options) as (keyof IoNodeOptions)[]) {
    if (options[key] === undefined) delete options[key];
  }

  const node = createIoNode(options);
  closeOnSignal("io-node", node, () => httpServer);

  await listen(httpServer, port, values.host);
  await readyOrNotice("io-node", node, redis);
  const { port: boundPort } = httpServer.address() as AddressInfo;
  console.log(`io-node ${node.id} listening on http://${urlHost(values.host)}:${boundPort}`);
  const metrics = node.metricsAddress();
  if (metrics) console.log(`  metrics  http://${metrics}/metrics`);
  debug("options %o", { ...options, httpServer: undefined, redis: redactUrl(redis) });
}

const notFound: RequestHandler = (_req, res) => {
  res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
  res.end("Not Found");
};

function transportsFlag(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(",").map((t) => t.trim()).filter(Boolean);
  const bad = list.filter((t) => !TRANSPORTS.includes(t));
  if (list.length === 0 || bad.length > 0) {
    throw new UsageError(`--transports must list some of ${TRANSPORTS.join(",")}, got "${raw}"`);
  }
  return list;
}

function corsFlag(origins: string[] | undefined): IoNodeOptions["cors"] {
  if (!origins || origins.length === 0) return undefined;
  if (origins.includes("*")) return { origin: "*" };
  return { origin: origins.length === 1 ? origins[0] : origins };
}

function listen(httpServer: HttpServer, port: number, host: string | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    // the listener stays: an error after listening is not the command's to report
    httpServer.once("error", (err: Error) => reject(listenError(err, host, port)));
    httpServer.listen(port, host, () => resolvePromise());
  });
}
