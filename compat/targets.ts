import { createServer, Server as HttpServer } from "http";
import type { AddressInfo } from "net";
import { randomBytes } from "crypto";
import { Server as SocketIOServer } from "socket.io";
import { Server as ClusterServer, createIoNode, IoNode } from "../src";
import { waitFor } from "../test/helpers/wait";
import type { Scenario, Shared } from "./scenario";

/** A running deployment of one scenario on one target. */
export interface TargetInstance {
  urls: string[];
  servers: SocketIOServer[];
  close(): Promise<void>;
}

export interface Target {
  name: string;
  /** Starts the scenario's deployment; with `ports`, on those ports again (a restart). */
  start(scenario: Scenario, shared: Shared, ports?: number[]): Promise<TargetInstance>;
}

/** Short timings so dead nodes and inter-node requests resolve quickly in tests. */
const TIMINGS = { heartbeatInterval: 100, nodeTimeout: 1_000 };

/** Socket.IO options that belong to the app-node, not to the Engine.IO server of an io-node. */
const SOCKET_IO_ONLY = new Set(["adapter", "parser", "connectTimeout", "connectionStateRecovery", "cleanupEmptyChildNamespaces"]);

function redisUrl(): string {
  const url = process.env.SOCKET_IO_CLUSTER_TEST_REDIS_URL;
  if (!url) throw new Error("SOCKET_IO_CLUSTER_TEST_REDIS_URL is not set: run `npm run compat` or `npm test`");
  return url;
}

function prefix(): string {
  return `compat-${randomBytes(4).toString("hex")}`;
}

async function listen(http: HttpServer, port = 0): Promise<string> {
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

/** One HTTP server with one Socket.IO-like server on it: the reference and the single-process targets. */
function singleServer(name: string, make: (http: HttpServer, scenario: Scenario) => SocketIOServer): Target {
  return {
    name,
    async start(scenario, shared, ports) {
      const http = createServer();
      const io = make(http, scenario);
      await scenario.setup?.(io, shared, 0);
      const url = await listen(http, ports?.[0]);
      await (io as unknown as { ready?: () => Promise<void> }).ready?.();
      return {
        urls: [url],
        servers: [io],
        close: async () => {
          await io.close();
          http.closeAllConnections();
        },
      };
    },
  };
}

export const reference = singleServer("socket.io", (http, s) => new SocketIOServer(http, { ...s.serverOptions }));

export const embedded = singleServer(
  "embedded",
  (http, s) => new ClusterServer(http, { ...s.serverOptions }) as unknown as SocketIOServer,
);

export const redisColocated = singleServer(
  "redis-colocated",
  (http, s) =>
    new ClusterServer(http, {
      ...s.serverOptions,
      cluster: { redis: redisUrl(), prefix: prefix(), localFastPath: false, ...TIMINGS },
    }) as unknown as SocketIOServer,
);

/** 2 standalone io-nodes and 2 app-nodes (no HTTP server), each with its own Redis connections. */
export const split: Target = {
  name: "split",
  async start(scenario, shared, ports) {
    const cluster = { redis: redisUrl(), prefix: prefix(), ...TIMINGS };
    const engineOptions = Object.fromEntries(
      Object.entries(scenario.serverOptions ?? {}).filter(([k]) => !SOCKET_IO_ONLY.has(k)),
    );
    const apps = [0, 1].map(() => new ClusterServer({ ...scenario.serverOptions, cluster }));
    for (const [i, app] of apps.entries()) await scenario.setup?.(app as unknown as SocketIOServer, shared, i);
    const ioNodes: IoNode[] = [0, 1].map((i) =>
      createIoNode({ ...engineOptions, ...cluster, port: ports?.[i] ?? 0, host: "127.0.0.1" }),
    );
    await Promise.all([...apps.map((a) => a.ready()), ...ioNodes.map((n) => n.ready())]);
    await waitFor(() => apps.every((a) => knowsPeers(a, 1)) && ioNodes.every((n) => seesApps(n, 2)), { what: "the cluster to be ready" });
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

export const TARGETS: Target[] = [reference, embedded, redisColocated, split];

/** Whether the main namespace's cluster adapter has heard from `n` other app-nodes. */
function knowsPeers(app: ClusterServer, n: number): boolean {
  const adapter = app.of("/").adapter as unknown as { nodesMap?: Map<string, number> };
  return (adapter.nodesMap?.size ?? 0) >= n;
}

function seesApps(node: IoNode, n: number): boolean {
  return (node as unknown as { registry: { alive(role: string): unknown[] } }).registry.alive("app").length >= n;
}
