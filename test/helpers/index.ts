/**
 * Test helpers: a real redis-server (started by scripts/test.mjs), real servers and real
 * socket.io-client connections over real sockets. Everything a helper creates is registered for
 * teardown and closed after each test by the root hook in ./hooks.ts, newest first (clients, then
 * app-nodes, then io-nodes), so mocha exits on its own.
 */
import { createServer, Server as HttpServer } from "http";
import type { AddressInfo } from "net";
import { randomBytes } from "crypto";
import Redis from "ioredis";
import { io as ioc, Socket as ClientSocket, ManagerOptions, SocketOptions } from "socket.io-client";
import { Server, createIoNode, IoNode } from "../../src";
import type { IoNodeOptions, ServerOptions, ClusterOptions } from "../../src";
import { once, waitFor } from "./wait";

export type { ClientSocket };
export { delay, once, times, waitFor } from "./wait";
export type { WaitOptions, EventWaitOptions } from "./wait";
export type ClientOptions = Partial<ManagerOptions & SocketOptions>;

// ---------------------------------------------------------------------------------------------
// teardown registry

type Cleanup = () => unknown | Promise<unknown>;
const cleanups: Array<{ name: string; fn: Cleanup }> = [];

/** Registers something to close after the current test (run newest first). */
export function onCleanup(fn: Cleanup, name = "cleanup"): void {
  cleanups.push({ name, fn });
}

/** Runs every registered cleanup, newest first; each gets 10 s before it is abandoned (and reported). */
export async function runCleanups(): Promise<Error[]> {
  const errors: Error[] = [];
  while (cleanups.length > 0) {
    const { name, fn } = cleanups.pop()!;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(fn),
        new Promise((_r, reject) => {
          timer = setTimeout(() => reject(new Error(`teardown "${name}" took more than 10 s`)), 10_000);
        }),
      ]);
    } catch (err) {
      errors.push(err as Error);
    } finally {
      clearTimeout(timer);
    }
  }
  return errors;
}

// ---------------------------------------------------------------------------------------------
// small utilities

/** The test Redis (started by `npm test`). */
export function redisUrl(): string {
  const url = process.env.SOCKET_IO_CLUSTER_TEST_REDIS_URL;
  if (!url) {
    throw new Error(
      "SOCKET_IO_CLUSTER_TEST_REDIS_URL is not set: run the tests with `npm test`, which starts a private " +
        "redis-server, or set it to a Redis you can spare (e.g. redis://127.0.0.1:6379).",
    );
  }
  return url;
}

/** A client of the test Redis, closed after the test. */
export function redisClient(): Redis {
  const r = new Redis(redisUrl());
  onCleanup(() => r.quit().then(() => undefined, () => r.disconnect()), "redis client");
  return r;
}

/** A cluster prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  return `test-${label}-${randomBytes(5).toString("hex")}`;
}

// ---------------------------------------------------------------------------------------------
// clients

/** A socket.io-client socket (new Manager, no automatic reconnection unless asked), closed after the test. */
export function createClient(url: string, opts: ClientOptions = {}): ClientSocket {
  const socket = ioc(url, { forceNew: true, reconnection: false, ...opts });
  onCleanup(() => closeClient(socket), `client ${url}`);
  return socket;
}

/** Closes a client socket and its Manager (engine included). */
export function closeClient(socket: ClientSocket): void {
  socket.disconnect();
  socket.io.engine?.close();
  (socket.io as unknown as { _close(): void })._close();
}

/**
 * A connected socket.io-client socket; rejects with the `connect_error`. `setup` runs before the
 * connection starts, for listeners that must not miss what the server sends at once.
 */
export async function connect(
  url: string,
  opts: ClientOptions = {},
  setup?: (socket: ClientSocket) => void,
): Promise<ClientSocket> {
  // the connection starts asynchronously: listeners added now miss nothing
  const socket = createClient(url, opts);
  setup?.(socket);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`connect(${url}): not connected within 5 s`));
    }, 5_000);
    const onConnect = () => {
      cleanup();
      resolve();
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const cleanup = () => {
      clearTimeout(timer);
      socket.off("connect", onConnect);
      socket.off("connect_error", onError);
    };
    socket.on("connect", onConnect);
    socket.on("connect_error", onError);
  });
  return socket;
}

// ---------------------------------------------------------------------------------------------
// servers

/** Listens on a free port (all interfaces) and resolves with the port. */
export async function listen(httpServer: HttpServer): Promise<number> {
  if (!httpServer.listening) {
    await new Promise<void>((resolve, reject) => {
      httpServer.once("error", reject);
      httpServer.listen(0, () => {
        httpServer.off("error", reject);
        resolve();
      });
    });
  }
  return (httpServer.address() as AddressInfo).port;
}

/** Resolves with the port once the server listens (servers created with a port listen by themselves). */
export async function portOf(httpServer: HttpServer): Promise<number> {
  if (!httpServer.listening) await once(httpServer, "listening");
  return (httpServer.address() as AddressInfo).port;
}

/** A plain HTTP server (404 for everything nobody handles), listening on a free port. */
export async function httpServer(): Promise<{ server: HttpServer; port: number; url: string }> {
  const server = createServer((_req, res) => {
    if (res.headersSent || res.writableEnded) return;
    res.writeHead(404);
    res.end();
  });
  onCleanup(() => closeHttp(server), "http server");
  const port = await listen(server);
  return { server, port, url: `http://127.0.0.1:${port}` };
}

/** Closes an HTTP server, dropping the keep-alive connections it still has. */
export function closeHttp(server: HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}

/** How many client connections a server (socket.io Server or IoNode) still has, if it says. */
function openConnections(server: unknown): number {
  const s = server as { connectionsCount?: number; engine?: { clientsCount?: number } };
  if (typeof s.connectionsCount === "number") return s.connectionsCount;
  if (typeof s.engine?.clientsCount === "number") return s.engine.clientsCount;
  return 0;
}

/**
 * Lets the servers notice that the test's clients (closed just before, by the teardown) are gone,
 * so that closing the servers does not race with the clients' own goodbyes. A server closed while
 * a polling client is between two polls is a separate case, tested on purpose in close.test.ts.
 */
async function drain(servers: unknown[]): Promise<void> {
  await waitFor(() => servers.every((s) => openConnections(s) === 0), 3_000, "clients to be gone").catch(() => undefined);
}

/** Registers a socket.io(-cluster) server or io-node for teardown; returns it. */
export function track<T extends { close(): unknown }>(server: T, name = "server"): T {
  onCleanup(async () => {
    await drain([server]);
    await server.close();
  }, name);
  return server;
}

/** The cluster side of a Server, for white-box checks in tests. */
export function internals(io: Server): { appNodeId: string; registry: { alive(role?: string): Array<{ id: string }> } } {
  const rt = (io as unknown as { runtime: { appNode: { id: string; registry: any } } }).runtime;
  return { appNodeId: rt.appNode.id, registry: rt.appNode.registry };
}

/** The ids of the app-nodes an io-node considers alive. */
export function aliveApps(node: IoNode): string[] {
  return ((node as unknown as { registry: { alive(role: string): Array<{ id: string }> } }).registry.alive("app")).map(
    (r) => r.id,
  );
}

/** How many other app-nodes the adapter of `nsp` on `io` knows. */
export function adapterPeers(io: Server, nsp = "/"): number {
  const adapter = io.of(nsp).adapter as unknown as { nodesMap?: Map<string, number> };
  return adapter.nodesMap?.size ?? 0;
}

/** Waits until the adapters of `nsp` on every app-node know each other (create the namespace first). */
export async function waitForPeers(apps: Server[], nsp = "/"): Promise<void> {
  for (const io of apps) io.of(nsp);
  await waitFor(() => apps.every((io) => adapterPeers(io, nsp) >= apps.length - 1), 5_000, `adapters of ${nsp} to meet`);
}

/** Short timings, so that tests notice nodes quickly. */
export const FAST: Pick<ClusterOptions, "heartbeatInterval" | "nodeTimeout"> = { heartbeatInterval: 100, nodeTimeout: 600 };

export interface ClusterFixtureOptions {
  /** Standalone io-nodes (createIoNode on port 0). @default 2 */
  ioNodes?: number;
  /** App-nodes without an HTTP server (`new Server({ cluster })`). @default 2 */
  appNodes?: number;
  /** @default a unique prefix */
  prefix?: string;
  /** @default redisUrl() */
  redis?: string;
  /** Extra cluster options for every node. */
  cluster?: Partial<ClusterOptions>;
  /** Extra Engine.IO options for the io-nodes (path, cors, transports...). */
  ioNodeOptions?: Partial<IoNodeOptions>;
  /** Extra Socket.IO options for the app-nodes. */
  serverOptions?: Partial<ServerOptions>;
  /** Called for each app-node before any client connects (handlers, middleware). */
  setup?: (io: Server, index: number) => void;
}

export interface ClusterFixture {
  prefix: string;
  redis: string;
  ioNodes: IoNode[];
  apps: Server[];
  /** `http://127.0.0.1:<port>` of each io-node. */
  urls: string[];
  /** A connected client on io-node `i` (namespace appended to the URL). */
  connect(i: number, opts?: ClientOptions, nsp?: string, setup?: (socket: ClientSocket) => void): Promise<ClientSocket>;
  /** The app-node that owns the socket with this id in `nsp`. */
  ownerOf(socketId: string, nsp?: string): Server;
  /** The server-side socket of a client (on whichever app-node owns it). */
  serverSocket(socketId: string, nsp?: string): import("socket.io").Socket;
  /** Closes app-nodes then io-nodes (clients are closed by the test teardown, before this). */
  close(): Promise<void>;
}

/**
 * An in-process cluster: N standalone io-nodes and M app-nodes, each with its own Redis
 * connections (they only share the URL and prefix), joined and ready: every io-node sees every
 * app-node and the app-nodes' adapters of "/" know each other.
 */
export async function startCluster(opts: ClusterFixtureOptions = {}): Promise<ClusterFixture> {
  const prefix = opts.prefix ?? uniquePrefix("cluster");
  const redis = opts.redis ?? redisUrl();
  const cluster: ClusterOptions = { redis, prefix, ...FAST, ...opts.cluster };
  const apps: Server[] = [];
  const ioNodes: IoNode[] = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await Promise.all(apps.map((io) => io.close()));
    await Promise.all(ioNodes.map((n) => n.close()));
  };
  onCleanup(async () => {
    await drain([...ioNodes, ...apps]);
    await close();
  }, `cluster ${prefix}`);

  for (let i = 0; i < (opts.appNodes ?? 2); i++) {
    const io = new Server({ ...opts.serverOptions, cluster });
    opts.setup?.(io, i);
    apps.push(io);
  }
  for (let i = 0; i < (opts.ioNodes ?? 2); i++) {
    ioNodes.push(createIoNode({ port: 0, ...opts.ioNodeOptions, ...cluster }));
  }
  await Promise.all([...apps.map((a) => a.ready()), ...ioNodes.map((n) => n.ready())]);
  const ports = await Promise.all(ioNodes.map((n) => portOf(n.httpServer)));
  const appIds = apps.map((a) => a.cluster.appNodeId);
  await waitFor(
    () => ioNodes.every((n) => appIds.every((id) => aliveApps(n).includes(id))),
    5_000,
    "io-nodes to see every app-node",
  );
  if (apps.length > 1) await waitForPeers(apps, "/");
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);

  const ownerOf = (socketId: string, nsp = "/"): Server => {
    const owner = apps.find((io) => io.of(nsp).sockets.has(socketId));
    if (!owner) throw new Error(`no app-node owns socket ${socketId} in ${nsp}`);
    return owner;
  };
  return {
    prefix,
    redis,
    ioNodes,
    apps,
    urls,
    connect: (i, clientOpts = {}, nsp = "/", setup) => connect(urls[i] + (nsp === "/" ? "" : nsp), clientOpts, setup),
    ownerOf,
    serverSocket: (socketId, nsp = "/") => ownerOf(socketId, nsp).of(nsp).sockets.get(socketId)!,
    close,
  };
}

// ---------------------------------------------------------------------------------------------
// raw HTTP

export interface RawResponse {
  status: number;
  headers: import("http").IncomingHttpHeaders;
  body: string;
}

/** One HTTP request on a connection of its own (no keep-alive left behind). */
export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = require("http").request(
      url,
      { method: opts.method ?? "GET", headers: opts.headers, agent: false },
      (res: import("http").IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.setTimeout(5_000, () => req.destroy(new Error(`request ${url} timed out`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}

/**
 * An Engine.IO polling handshake by hand (`<base><path>?EIO=4&transport=polling<query>`). When it
 * opens a session, the session is closed after the test (a "1" close packet), as Engine.IO would
 * otherwise keep it for its close timeout.
 */
export async function pollingHandshake(
  base: string,
  opts: { path?: string; query?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse & { sid?: string }> {
  const path = opts.path ?? "/socket.io/";
  const res = await request(`${base}${path}?EIO=4&transport=polling${opts.query ?? ""}`, { headers: opts.headers });
  let sid: string | undefined;
  if (res.status === 200 && res.body.startsWith("0{")) {
    sid = (JSON.parse(res.body.slice(1)) as { sid: string }).sid;
    onCleanup(
      () => request(`${base}${path}?EIO=4&transport=polling&sid=${sid}`, { method: "POST", body: "1" }).catch(() => undefined),
      "polling session",
    );
  }
  return { ...res, sid };
}
