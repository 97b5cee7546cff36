/**
 * The servers under test, each started fresh on 127.0.0.1 in this process with the same bench
 * application (echo with ack, join a room), and closed again.
 */
import { createServer, Server as HttpServer } from "http";
import type { AddressInfo } from "net";
import { randomBytes } from "crypto";
import { Server as SocketIOServer } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import Redis from "ioredis";
import { EVENTS, ROOM } from "./protocol";

type Library = typeof import("../src");

/** A started target: where clients connect, and the Socket.IO servers running the application. */
export interface RunningTarget {
  /** Client URLs; clients are spread over them round robin. */
  urls: string[];
  /** The servers running the application; broadcasts are made on the first one. */
  servers: SocketIOServer[];
  close(): Promise<void>;
}

export interface Target {
  id: string;
  /** What it is, for the report. */
  label: string;
  needsRedis: boolean;
  start(ctx: TargetContext): Promise<RunningTarget>;
}

export interface TargetContext {
  redisUrl?: string;
  /** socket.io-cluster, from dist/ or src/. */
  lib: Library;
}

/** The bench application: identical on every target. */
export function installApp(io: SocketIOServer): void {
  io.on("connection", (socket) => {
    socket.on(EVENTS.echo, (data: unknown, ack: (d: unknown) => void) => ack(data));
    socket.on(EVENTS.join, (ack: () => void) => {
      void socket.join(ROOM);
      ack();
    });
  });
}

async function listen(http: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

async function closeHttpServer(io: SocketIOServer, http: HttpServer): Promise<void> {
  await io.close();
  http.closeAllConnections();
}

function uniquePrefix(): string {
  return `bench-${randomBytes(4).toString("hex")}`;
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function requireRedis(ctx: TargetContext): string {
  if (!ctx.redisUrl) throw new Error("this target needs Redis (SOCKET_IO_CLUSTER_BENCH_REDIS_URL)");
  return ctx.redisUrl;
}

/** 1. Plain Socket.IO, one process: the baseline. */
const plain: Target = {
  id: "socket.io",
  label: "socket.io, 1 server",
  needsRedis: false,
  async start() {
    const http = createServer();
    const io = new SocketIOServer(http);
    installApp(io);
    const url = await listen(http);
    return { urls: [url], servers: [io], close: () => closeHttpServer(io, http) };
  },
};

/** 2. Plain Socket.IO with @socket.io/redis-adapter: 2 servers, clients split between them. */
const redisAdapter: Target = {
  id: "redis-adapter",
  label: "socket.io + @socket.io/redis-adapter, 2 servers",
  needsRedis: true,
  async start(ctx) {
    const url = requireRedis(ctx);
    const key = uniquePrefix();
    const redisClients: Redis[] = [];
    const nodes = await Promise.all(
      [0, 1].map(async () => {
        const pub = new Redis(url);
        const sub = pub.duplicate();
        redisClients.push(pub, sub);
        const http = createServer();
        const io = new SocketIOServer(http, { adapter: createAdapter(pub, sub, { key }) });
        installApp(io);
        return { http, io, url: await listen(http) };
      }),
    );
    // both servers subscribed: a broadcast from the first reaches the second's clients
    const adapter = nodes[0].io.of("/").adapter as unknown as { serverCount(): Promise<number> };
    await waitUntil("redis-adapter", async () => (await adapter.serverCount()) >= 2);
    return {
      urls: nodes.map((n) => n.url),
      servers: nodes.map((n) => n.io),
      close: async () => {
        await Promise.all(nodes.map((n) => closeHttpServer(n.io, n.http)));
        await Promise.all(redisClients.map((c) => c.quit().catch(() => c.disconnect())));
      },
    };
  },
};

/** 3. socket.io-cluster embedded: no Redis, one process. */
const embedded: Target = {
  id: "cluster-embedded",
  label: "socket.io-cluster embedded (no Redis)",
  needsRedis: false,
  async start(ctx) {
    const http = createServer();
    const io = new ctx.lib.Server(http) as unknown as SocketIOServer;
    installApp(io);
    const url = await listen(http);
    await (io as unknown as { ready(): Promise<void> }).ready();
    return { urls: [url], servers: [io], close: () => closeHttpServer(io, http) };
  },
};

/** 4. socket.io-cluster drop-in with Redis: an app-node with its co-located io-node (local fast path). */
const colocated: Target = {
  id: "cluster-redis",
  label: "socket.io-cluster over Redis, co-located (1 app-node + its io-node)",
  needsRedis: true,
  async start(ctx) {
    const http = createServer();
    const io = new ctx.lib.Server(http, {
      cluster: { redis: requireRedis(ctx), prefix: uniquePrefix(), localFastPath: true },
    }) as unknown as SocketIOServer;
    installApp(io);
    const url = await listen(http);
    await (io as unknown as { ready(): Promise<void> }).ready();
    return { urls: [url], servers: [io], close: () => closeHttpServer(io, http) };
  },
};

/** 5. socket.io-cluster split: 2 io-nodes and 2 app-nodes, each with its own Redis connections. */
const split: Target = {
  id: "cluster-split",
  label: "socket.io-cluster split: 2 io-nodes + 2 app-nodes over Redis",
  needsRedis: true,
  async start(ctx) {
    const cluster = { redis: requireRedis(ctx), prefix: uniquePrefix() };
    const apps = [0, 1].map(() => new ctx.lib.Server({ cluster }));
    for (const app of apps) installApp(app as unknown as SocketIOServer);
    const ioNodes = [0, 1].map(() => ctx.lib.createIoNode({ ...cluster, port: 0, host: "127.0.0.1", serveClient: false }));
    await Promise.all([...apps.map((a) => a.ready()), ...ioNodes.map((n) => n.ready())]);
    // every io-node can hand connections to both app-nodes, and the app-nodes' adapters know each other
    await waitUntil(
      "split cluster",
      () =>
        ioNodes.every((n) => (n as unknown as { registry: { alive(role: string): unknown[] } }).registry.alive("app").length >= 2) &&
        apps.every((a) => ((a.of("/").adapter as unknown as { nodesMap?: Map<string, number> }).nodesMap?.size ?? 0) >= 1),
    );
    return {
      urls: ioNodes.map((n) => `http://${n.address()}`),
      servers: apps as unknown as SocketIOServer[],
      close: async () => {
        await Promise.all(apps.map((a) => a.close()));
        await Promise.all(ioNodes.map((n) => n.close()));
      },
    };
  },
};

export const TARGETS: Target[] = [plain, redisAdapter, embedded, colocated, split];
export const BASELINE = plain.id;

/** Sockets connected to the main namespace, over every server of a target. */
export function connectedSockets(t: RunningTarget): number {
  return t.servers.reduce((n, io) => n + io.of("/").sockets.size, 0);
}
