import { statSync } from "fs";
import { createServer, IncomingMessage, Server as HttpServer, ServerResponse } from "http";
import { resolve } from "path";
import { createStaticHandler, RequestHandler } from "../http/static-files";
import { advertisedAddress, listen } from "../http/listen";
import { ClusterMember } from "../cluster/cluster-member";
import type { NodeRegistry } from "../cluster/node-registry";
import { debug as makeDebug, warn } from "../log";
import { ClusterOptions, resolveClusterOptions, ResolvedClusterOptions } from "../options";
import { isSocketIoClientFile, sendSocketIoClientFile } from "../http/socket-io-client";
import { clientHelper } from "./client-assets";
import { ClusterView, IoServer } from "./cluster-view";
import { renderConfigJs, renderConfigJson } from "./config-endpoints";
import { sendAsset } from "./static-asset";
import { STATUS_PAGE_CSP, statusPage } from "./status-page";
import { statusReport, StatusReport } from "./status-report";
import { ClusterOptionsError } from "../errors";
import { clientConfigUrlFor, CLUSTER_ENV, FRONTEND_DEFAULTS } from "../defaults";

const debug = makeDebug("frontend");

/**
 * Options of `createFrontend`: these, and the cluster's that a frontend uses (`redis`, `prefix`,
 * `heartbeatInterval`, `nodeTimeout`, `transport`, `metricsPort`, `metrics`: {@link ClusterOptions}).
 * Defaults: {@link FRONTEND_DEFAULTS}.
 *
 * @example
 * createFrontend({ port: 8080, redis: "redis://localhost:6379", staticDir: "public", basePath: "/chat/" });
 */
export interface FrontendOptions extends Pick<ClusterOptions, "redis" | "prefix" | "heartbeatInterval" | "nodeTimeout" | "transport" | "metricsPort" | "metrics"> {
  /**
   * Serve on this HTTP(S) server (same as calling `attach(httpServer)`).
   * @default none: see `port`
   *
   * @example
   * createFrontend({ httpServer: http.createServer().listen(8080), redis });
   */
  httpServer?: HttpServer;
  /**
   * Or create an HTTP server listening on this port (0 picks a free one).
   * @default none: no server of its own (use `handler` or `attach`)
   *
   * @example
   * createFrontend({ port: 8080, redis });
   */
  port?: number;
  /**
   * Interface to bind when `port` is given.
   * @default none: all interfaces
   *
   * @example
   * createFrontend({ port: 8080, host: "127.0.0.1", redis });
   */
  host?: string;
  /**
   * Path under which every route of the frontend lives (`<basePath>config.json`, `<basePath>status`...).
   * @default "/"
   *
   * @example
   * createFrontend({ port: 8080, redis, basePath: "/cluster/" }); // /cluster/config.json
   */
  basePath?: string;
  /**
   * Path of the JavaScript list of io-nodes in the original's format
   * (`var SOCKET_SERVERS = [{"host":...,"port":...}];`), the 2011 `CLIENT_CONFIG_URL`.
   * @default none: `${basePath}config.js`
   *
   * @example
   * createFrontend({ port: 8080, redis, clientConfigUrl: "/js/servers.js" });
   */
  clientConfigUrl?: string;
  /**
   * Also serve the files of this directory (index.html for a directory); missing files are 404.
   * @default none: only the frontend's own routes
   *
   * @example
   * createFrontend({ port: 8080, redis, staticDir: "public" });
   */
  staticDir?: string;
  /**
   * Serve the Socket.IO browser client at `<basePath>socket.io/socket.io.js` (and .min.js, .esm.min.js,
   * maps), so pages need no io-node to load it.
   * @default true
   *
   * @example
   * createFrontend({ port: 8080, redis, serveClient: false });
   */
  serveClient?: boolean;
  /**
   * Serve `<basePath>status` and `<basePath>status.json` (they show hosts and pids).
   * @default true
   *
   * @example
   * createFrontend({ port: 8080, redis, status: false });
   */
  status?: boolean;
  /**
   * `Access-Control-Allow-Origin` of the io-node lists and the client helper, for pages served from
   * another origin; `false` sends none.
   * @default "*"
   *
   * @example
   * createFrontend({ port: 8080, redis, cors: "https://app.example.com" });
   */
  cors?: string | false;
  /**
   * host:port where this frontend is reached, shown on status pages.
   * @default none: the bound address
   *
   * @example
   * createFrontend({ port: 8080, redis, publicAddress: "www.example.com:443" });
   */
  publicAddress?: string;
  /**
   * Departures of nodes kept for the status page.
   * @default 50
   *
   * @example
   * createFrontend({ port: 8080, redis, failuresKept: 200 });
   */
  failuresKept?: number;
  /**
   * ms of heartbeats over which message rates are averaged.
   * @default 5000
   *
   * @example
   * createFrontend({ port: 8080, redis, rateWindow: 10_000 });
   */
  rateWindow?: number;
}

/** `next` of Express/Connect: called for requests the frontend does not answer. */
export type NextFunction = (err?: unknown) => void;

type Responder = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A frontend-node: it serves the page files and tells browsers which io-nodes are alive, least
 * loaded first (`/config.js` in the original's format, `/config.json`), plus a client helper that
 * connects to them and fails over (`/socket.io-cluster.js`) and a live status page (`/status`).
 * It registers itself in the cluster (role "frontend") and watches the node registry.
 *
 * `handler` is a Node `request` listener and an Express/Connect middleware: requests for paths it
 * does not own go to `next()`, or get a 404 without one.
 *
 * @example
 * const frontend = createFrontend({ port: 8080, redis: "redis://localhost:6379", staticDir: "public" });
 * await frontend.ready();
 *
 * @example
 * // in an Express app
 * const frontend = createFrontend({ redis: "redis://localhost:6379" });
 * app.use(frontend.handler);
 */
export class FrontendNode {
  readonly id: string;
  /** The server created for `port`, or the last one given to `attach()`. */
  httpServer?: HttpServer;
  private readonly cluster: ResolvedClusterOptions;
  /** Its start, heartbeat, metrics and leave, as every node's. */
  private readonly member: ClusterMember;
  private readonly registry: NodeRegistry;
  private readonly view: ClusterView;
  private readonly routes = new Map<string, Responder>();
  private readonly staticHandler?: RequestHandler;
  private readonly publicAddress?: string;
  private readonly corsOrigin: string | false;
  private readonly ownsHttpServer: boolean;
  private inFlight = 0;
  private served = 0;
  private closed = false;

  constructor(opts: FrontendOptions = {}) {
    this.cluster = resolveClusterOptions({
      redis: opts.redis,
      prefix: opts.prefix,
      heartbeatInterval: opts.heartbeatInterval,
      nodeTimeout: opts.nodeTimeout,
      transport: opts.transport,
      metricsPort: opts.metricsPort,
      metrics: opts.metrics,
    });
    if (!this.cluster.clustered) {
      // a private in-memory transport would show this frontend alone: say so instead of listing nothing
      throw new ClusterOptionsError(`a frontend-node needs the cluster's Redis: pass \`redis\` (or set ${CLUSTER_ENV.redis})`);
    }
    this.member = new ClusterMember(this.cluster, {
      role: "frontend",
      label: "frontend",
      record: () => ({ address: this.address(), connections: this.inFlight, messages: this.served }),
      sample: () => ({ connections: this.inFlight }),
    });
    this.id = this.member.id;
    this.registry = this.member.registry;
    this.publicAddress = opts.publicAddress;
    this.corsOrigin = opts.cors ?? FRONTEND_DEFAULTS.cors;
    if (opts.staticDir !== undefined) {
      const dir = resolve(opts.staticDir);
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new ClusterOptionsError(`staticDir ${opts.staticDir}: not a directory`);
      this.staticHandler = createStaticHandler(dir);
    }
    this.addRoutes(opts);

    this.view = new ClusterView(this.registry, {
      rateWindow: opts.rateWindow ?? FRONTEND_DEFAULTS.rateWindow,
      failuresKept: opts.failuresKept ?? FRONTEND_DEFAULTS.failuresKept,
      nodeTimeout: this.cluster.nodeTimeout,
    });

    this.ownsHttpServer = !opts.httpServer && opts.port !== undefined;
    let listening = Promise.resolve();
    if (opts.httpServer) this.attach(opts.httpServer);
    else if (opts.port !== undefined) {
      const server = createServer();
      this.attach(server);
      listening = listen(server, opts.port, opts.host);
    }
    this.member.start(listening);
  }

  private addRoutes(opts: FrontendOptions): void {
    const base = normalizeBasePath(opts.basePath ?? FRONTEND_DEFAULTS.basePath);
    const configUrl = opts.clientConfigUrl ?? clientConfigUrlFor(base);
    if (!configUrl.startsWith("/")) throw new ClusterOptionsError(`clientConfigUrl must start with "/", got "${configUrl}"`);
    const cors = (): Record<string, string> => (this.corsOrigin ? { "Access-Control-Allow-Origin": this.corsOrigin } : {});

    this.routes.set(configUrl, (req, res) => sendText(req, res, renderConfigJs(this.view.ioServers(req.method === "GET")), "text/javascript; charset=utf-8", cors()));
    this.routes.set(`${base}config.json`, (req, res) => sendText(req, res, renderConfigJson(this.view.ioServers(req.method === "GET")), "application/json; charset=utf-8", cors()));
    this.routes.set(`${base}socket.io-cluster.js`, (req, res) => sendAsset(req, res, clientHelper(), cors()));
    if ((opts.status ?? FRONTEND_DEFAULTS.status) !== false) {
      this.routes.set(`${base}status`, (req, res) => sendAsset(req, res, statusPage(), { "Content-Security-Policy": STATUS_PAGE_CSP }));
      this.routes.set(`${base}status.json`, (req, res) => sendText(req, res, JSON.stringify(this.status()), "application/json; charset=utf-8"));
    }
    if ((opts.serveClient ?? FRONTEND_DEFAULTS.serveClient) !== false) {
      // the same files, headers and ETag as an io-node's, so pages need no io-node to load them
      for (const name of ["socket.io.js", "socket.io.min.js", "socket.io.esm.min.js", "socket.io.msgpack.min.js"]) {
        for (const file of [name, `${name}.map`]) {
          if (isSocketIoClientFile(file)) this.routes.set(`${base}socket.io/${file}`, (req, res) => sendSocketIoClientFile(file, req, res));
        }
      }
    }
  }

  /**
   * Answers the frontend's routes (and the static files, with `staticDir`); anything else goes to
   * `next()`, or gets a 404 without it. Bound, so it can be passed around as is.
   *
   * @example
   * http.createServer(frontend.handler).listen(8080);
   */
  readonly handler = (req: IncomingMessage, res: ServerResponse, next?: NextFunction): void => {
    const route = this.closed ? undefined : this.routes.get(pathOf(req.url));
    const isRead = req.method === "GET" || req.method === "HEAD";
    if (route && !isRead) {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" });
      res.end("Method Not Allowed");
      return;
    }
    const serve = route ?? (this.staticHandler && isRead && !this.closed ? this.staticHandler : undefined);
    if (!serve) {
      if (next) return next();
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("Not Found");
      return;
    }
    this.served++;
    this.inFlight++;
    res.once("close", () => this.inFlight--);
    try {
      serve(req, res);
    } catch (err) {
      warn("frontend-request", `frontend ${this.id}: ${req.method} ${pathOf(req.url)} failed: ${(err as Error).message}`);
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("Internal Server Error");
    }
  };

  /**
   * Serves the frontend on an HTTP server, in front of its other `request` listeners: they get
   * every request the frontend does not answer (or a 404 when there are none).
   *
   * @example
   * const server = http.createServer(app);
   * createFrontend({ redis }).attach(server);
   * server.listen(8080);
   */
  attach(httpServer: HttpServer): this {
    const others = httpServer.listeners("request").slice() as Array<(req: IncomingMessage, res: ServerResponse) => void>;
    httpServer.removeAllListeners("request");
    httpServer.on("request", (req: IncomingMessage, res: ServerResponse) =>
      this.handler(req, res, others.length === 0 ? undefined : () => {
        for (const listener of others) listener.call(httpServer, req, res);
      }),
    );
    this.httpServer = httpServer;
    return this;
  }

  /**
   * Resolves once the frontend listens (with `port`), is registered and has read the registry, so
   * its first `/config.js` already lists the live io-nodes. Rejects when the port cannot be bound,
   * or with a `RedisRefusedError` when Redis refuses this node's user.
   *
   * @example
   * const frontend = createFrontend({ port: 8080, redis: "redis://localhost:6379" });
   * await frontend.ready();
   * console.log("frontend on", frontend.address());
   */
  ready(): Promise<void> {
    return this.member.ready();
  }

  /**
   * The io-nodes alive now, least loaded first, with their address, connections and message
   * rate: what `/config.json` lists, for your own routing or page.
   *
   * @example
   * const [least] = frontend.ioServers();
   * if (least) console.log(`next client to ${least.host}:${least.port} (${least.connections} there)`);
   */
  ioServers(): IoServer[] {
    return this.view.ioServers();
  }

  /**
   * The cluster as this frontend sees it, as `/status.json` answers: live nodes by role, totals
   * (nodes, connections, messages per second) and recent failures. For health checks and alerts.
   *
   * @example
   * const { totals, failures } = frontend.status();
   * console.log(totals.io.connections, "connections;", failures.length, "recent failures");
   */
  status(): StatusReport {
    return statusReport(this.view, {
      id: this.id,
      prefix: this.cluster.prefix,
      transport: this.cluster.transport.kind,
      heartbeatInterval: this.cluster.heartbeatInterval,
      nodeTimeout: this.cluster.nodeTimeout,
    });
  }

  /**
   * Where Prometheus scrapes this frontend: host:port of its `GET /metrics` server once it
   * listens (by `ready()`); undefined without `metricsPort`.
   *
   * @example
   * const frontend = createFrontend({ port: 8080, redis: "redis://localhost:6379", metricsPort: 9101 });
   * await frontend.ready();
   * console.log(`scrape http://${frontend.metricsAddress()}/metrics`);
   */
  metricsAddress(): string | undefined {
    return this.member.metricsAddress();
  }

  /**
   * host:port at which this frontend is listed in the registry and on the status page:
   * `publicAddress`, or the address its server is bound to; undefined before it listens.
   *
   * @example
   * await frontend.ready();
   * console.log(`pages at http://${frontend.address()}/, status at http://${frontend.address()}/status`);
   */
  address(): string | undefined {
    return advertisedAddress(this.httpServer, this.publicAddress);
  }

  /**
   * Leaves the cluster, stops answering (its paths go to `next()` / 404), closes the server it
   * created for `port` and the transport it created. Idempotent.
   *
   * @example
   * process.on("SIGTERM", () => frontend.close().then(() => process.exit(0)));
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // a frontend that never reached Redis must still close
    await this.member.settled();
    await this.member.leave();
    if (this.ownsHttpServer && this.httpServer?.listening) {
      const server = this.httpServer;
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    }
    await this.member.closeTransport();
    debug("frontend %s closed", this.id);
  }
}

/** "/", "/x", "/x/" → "/", "/x/", "/x/". */
function normalizeBasePath(base: string): string {
  if (!base.startsWith("/")) throw new ClusterOptionsError(`basePath must start with "/", got "${base}"`);
  return base.endsWith("/") ? base : `${base}/`;
}

/** The path of a request URL, without query or fragment. */
function pathOf(url: string | undefined): string {
  const raw = url ?? "/";
  const end = raw.search(/[?#]/);
  return end === -1 ? raw : raw.slice(0, end);
}

/** A generated response: never cached, since it is the cluster as it is right now. */
function sendText(req: IncomingMessage, res: ServerResponse, body: string, contentType: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(body);
  res.writeHead(200, {
    ...headers,
    "Content-Type": contentType,
    "Content-Length": buf.length,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(req.method === "HEAD" ? undefined : buf);
}

/**
 * Starts a frontend-node.
 *
 * @example
 * import { createFrontend } from "socket.io-cluster";
 * createFrontend({ port: 8080, redis: "redis://localhost:6379", staticDir: "./public" });
 */
export function createFrontend(opts: FrontendOptions = {}): FrontendNode {
  return new FrontendNode(opts);
}
