import type { AddressInfo } from "net";
import { createFrontend, FrontendNode, FrontendOptions } from "../frontend-node/frontend-node";
import { debug as makeDebug } from "../log";
import { redactUrl } from "./redact-url";
import { parseCommandArgs, portFlag, UsageError } from "./args";
import { withoutPrefix } from "../errors";
import { closeOnSignal, directoryFlag, listenError, NODE_OPTIONS, nodeOptionsHelp, readyOrNotice, requiredNodeFlags } from "./node-command";
import { urlHost } from "../http/listen";
import { clientConfigUrlFor, CLUSTER_ENV, FRONTEND_DEFAULTS } from "../defaults";

const debug = makeDebug("cli:frontend");
/** Where the io-node list is served without `--config-url` (the CLI sets no basePath). */
const DEFAULT_CONFIG_URL = clientConfigUrlFor(FRONTEND_DEFAULTS.basePath);

export const FRONTEND_HELP = `Usage: socket.io-cluster frontend --port PORT [options]

Starts a frontend-node: it serves your pages and tells browsers which io-nodes are
alive, least loaded first.

  /config.js             var SOCKET_SERVERS = [{"host":...,"port":...}, ...];
  /config.json           the same list with ids, connections and message rates
  /socket.io-cluster.js  client helper: SocketIoCluster.connect() with failover
  /socket.io/socket.io.js  the Socket.IO browser client
  /status                live status page of the cluster (/status.json)

Options:
${nodeOptionsHelp(24, [
  ["--static DIR", "also serve the files of DIR (index.html at /)"],
  ["--config-url PATH", `path of the JavaScript io-node list (default: ${DEFAULT_CONFIG_URL})`],
  ["--public-address H:P", "address of this frontend shown on status pages (default: the bound one)"],
  ["--no-status", "do not serve /status and /status.json (they show hosts and pids)"],
])}`;

const OPTIONS = {
  ...NODE_OPTIONS,
  "config-url": { type: "string" },
  "no-status": { type: "boolean" },
} as const;

/** The line a frontend prints once it serves requests (for scripts that wait for it). */
export const FRONTEND_READY_LINE = /^frontend \S+ listening on http:/;

/**
 * `socket.io-cluster frontend`: runs a frontend-node until SIGINT or SIGTERM.
 * Throws a UsageError for bad flags or a missing Redis.
 *
 * @example
 * await runFrontendCommand(["--port", "8080", "--redis", "redis://localhost:6379", "--static", "public"]);
 */
export async function runFrontendCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (values.help) return void process.stdout.write(FRONTEND_HELP);
  const { port, redis } = requiredNodeFlags(
    values,
    `a frontend needs Redis to see the cluster's nodes: pass --redis redis://host:6379 or set ${CLUSTER_ENV.redis}.`,
  );
  const configUrl = values["config-url"];
  if (configUrl !== undefined && !/^\/[^\s?#]*$/.test(configUrl)) {
    throw new UsageError(`--config-url must be a path starting with "/", got "${configUrl}"`);
  }
  const publicAddress = values["public-address"];
  if (publicAddress !== undefined && !/^\S+:\d{1,5}$/.test(publicAddress)) {
    throw new UsageError(`--public-address must be HOST:PORT, got "${publicAddress}"`);
  }
  const options: FrontendOptions = {
    port,
    host: values.host,
    redis,
    prefix: values.prefix,
    staticDir: values.static === undefined ? undefined : directoryFlag("static", values.static),
    clientConfigUrl: configUrl,
    publicAddress,
    status: !values["no-status"],
    metricsPort: portFlag("metrics-port", values["metrics-port"]),
  };

  let node: FrontendNode;
  try {
    node = createFrontend(options);
  } catch (err) {
    // option errors of the library (a bad prefix...) are the caller's mistakes here
    throw new UsageError(withoutPrefix((err as Error).message));
  }
  closeOnSignal("frontend", node, () => node.httpServer);
  try {
    await readyOrNotice("frontend", node, redis);
  } catch (err) {
    throw listenError(err as Error, values.host, port);
  }
  const boundPort = (node.httpServer!.address() as AddressInfo).port;
  const base = `http://${urlHost(values.host)}:${boundPort}`;
  console.log(`frontend ${node.id} listening on ${base}`);
  console.log(`  io-node list  ${base}${configUrl ?? DEFAULT_CONFIG_URL}`);
  if (!values["no-status"]) console.log(`  status        ${base}/status`);
  const metrics = node.metricsAddress();
  if (metrics) console.log(`  metrics       http://${metrics}/metrics`);
  debug("options %o", { ...options, redis: redactUrl(redis) });
}
