/**
 * What one server process of a target runs, by kind: plain Socket.IO (alone or with
 * @socket.io/redis-adapter), socket.io-cluster's drop-in Server (embedded, or co-located with
 * Redis), a standalone io-node, or an app-node with no HTTP server. Each starts on 127.0.0.1 on a
 * free port and resolves once it is ready for clients, peers included.
 */
import { createServer, Server as HttpServer } from "http";
import type { AddressInfo } from "net";
import { Server as SocketIOServer } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import Redis from "ioredis";
import { installApp } from "./app";
import type { NodeRole, NodeSpec } from "./protocol";
import { waitFor } from "../test/helpers/wait";

type Library = typeof import("../src");

export interface RunningNode {
  role: NodeRole;
  url?: string;
  /** The Socket.IO server running the application (not on io-nodes). */
  io?: SocketIOServer;
  /** Sockets in the main namespace, or connections held by an io-node. */
  sockets(): number;
  close(): Promise<void>;
}

async function listen(http: HttpServer): Promise<string> {
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}


function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`this server kind needs ${what}`);
  return value;
}

const mainSockets = (io: SocketIOServer) => () => io.of("/").sockets.size;

async function httpServer(role: NodeRole, io: SocketIOServer, http: HttpServer, extraClose?: () => Promise<void>): Promise<RunningNode> {
  installApp(io);
  const url = await listen(http);
  await (io as unknown as { ready?: () => Promise<void> }).ready?.();
  return {
    role,
    url,
    io,
    sockets: mainSockets(io),
    close: async () => {
      await io.close();
      http.closeAllConnections();
      await extraClose?.();
    },
  };
}

/** Whether a cluster app-node's adapter has heard from `n` other app-nodes (internal, read only). */
function knowsPeers(io: SocketIOServer, n: number): boolean {
  const adapter = io.of("/").adapter as unknown as { nodesMap?: Map<string, number> };
  return adapter.nodesMap === undefined || adapter.nodesMap.size >= n;
}

/** Whether an io-node's registry lists `n` live app-nodes (internal, read only; skipped when absent). */
function seesApps(node: unknown, n: number): boolean {
  const registry = (node as { registry?: { alive?(role: string): unknown[] } }).registry;
  return typeof registry?.alive !== "function" || registry.alive("app").length >= n;
}

export async function startNode(spec: NodeSpec, lib: () => Library): Promise<RunningNode> {
  switch (spec.kind) {
    case "plain": {
      const http = createServer();
      return httpServer("server", new SocketIOServer(http), http);
    }
    case "redis-adapter": {
      const pub = new Redis(need(spec.redisUrl, "Redis"));
      const sub = pub.duplicate();
      const http = createServer();
      const io = new SocketIOServer(http, { adapter: createAdapter(pub, sub, { key: spec.prefix }) });
      const node = await httpServer("server", io, http, async () => {
        await Promise.all([pub, sub].map((c) => c.quit().catch(() => c.disconnect())));
      });
      // every server subscribed: a broadcast from one reaches the others' clients
      const adapter = io.of("/").adapter as unknown as { serverCount(): Promise<number> };
      await waitFor(async () => (await adapter.serverCount()) >= (spec.expectPeers ?? 1), { timeout: 15_000, every: 20, what: "redis-adapter peers" });
      return node;
    }
    case "embedded": {
      const http = createServer();
      return httpServer("server", new (lib().Server)(http) as unknown as SocketIOServer, http);
    }
    case "colocated": {
      const http = createServer();
      const cluster = { redis: need(spec.redisUrl, "Redis"), prefix: spec.prefix, localFastPath: true };
      return httpServer("server", new (lib().Server)(http, { cluster }) as unknown as SocketIOServer, http);
    }
    case "app-node": {
      const app = new (lib().Server)({ cluster: { redis: need(spec.redisUrl, "Redis"), prefix: spec.prefix } });
      const io = app as unknown as SocketIOServer;
      installApp(io);
      await app.ready();
      const peers = (spec.expectPeers ?? 1) - 1;
      await waitFor(() => knowsPeers(io, peers), { timeout: 15_000, every: 20, what: "app-node peers" });
      return { role: "app-node", io, sockets: mainSockets(io), close: () => app.close() };
    }
    case "io-node": {
      const node = lib().createIoNode({
        redis: need(spec.redisUrl, "Redis"),
        prefix: spec.prefix,
        port: 0,
        host: "127.0.0.1",
        serveClient: false,
      });
      await node.ready();
      await waitFor(() => seesApps(node, spec.expectApps ?? 1), { timeout: 15_000, every: 20, what: "the io-node to see the app-nodes" });
      return {
        role: "io-node",
        url: `http://${node.address()}`,
        sockets: () => node.connectionsCount,
        close: () => node.close(),
      };
    }
  }
}
