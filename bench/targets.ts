/**
 * The targets under test. Each node of a target is its own server process (server-node.ts), as in a
 * deployment: a target is a list of process kinds; starting it spawns them all, waits until every one
 * is ready (peers included), and gives the client URLs, the process that broadcasts, and a handle on
 * each process for CPU and memory.
 */
import { randomBytes } from "crypto";
import { join } from "path";
import { Child } from "./child";
import type { NodeRole, NodeSpec, NodeStats, ReadyEvent, ServerKind } from "./protocol";

export interface Target {
  id: string;
  /** What it is, for the report. */
  label: string;
  needsRedis: boolean;
  /** The processes, in start order; the first that runs the application broadcasts. */
  nodes: ServerKind[];
}

const SPLIT = (io: number, app: number): ServerKind[] => [
  ...Array<ServerKind>(app).fill("app-node"),
  ...Array<ServerKind>(io).fill("io-node"),
];

export const TARGETS: Target[] = [
  { id: "socket.io", label: "plain socket.io, 1 server process", needsRedis: false, nodes: ["plain"] },
  {
    id: "redis-adapter",
    label: "socket.io + @socket.io/redis-adapter, 2 server processes, clients split between them",
    needsRedis: true,
    nodes: ["redis-adapter", "redis-adapter"],
  },
  { id: "cluster-embedded", label: "socket.io-cluster `new Server(http)`, no Redis, 1 process", needsRedis: false, nodes: ["embedded"] },
  {
    id: "cluster-redis",
    label: "socket.io-cluster `new Server(http, { cluster: { redis } })`: app-node + co-located io-node, 1 process",
    needsRedis: true,
    nodes: ["colocated"],
  },
  {
    id: "split-1+1",
    label: "socket.io-cluster split: 1 io-node process (`createIoNode`) + 1 app-node process",
    needsRedis: true,
    nodes: SPLIT(1, 1),
  },
  {
    id: "split-2+2",
    label: "socket.io-cluster split: 2 io-node processes + 2 app-node processes, clients split between the io-nodes",
    needsRedis: true,
    nodes: SPLIT(2, 2),
  },
];

export const BASELINE = "socket.io";
export const ADAPTER = "redis-adapter";

export interface LaunchOptions {
  root: string;
  library: "dist" | "src";
  redisUrl?: string;
  /** With --cpu-prof: the profile directory of one process. */
  profileDir?: (target: string, role: NodeRole, index: number) => string;
}

export interface ServerProcess {
  child: Child;
  role: NodeRole;
  kind: ServerKind;
  url?: string;
  stats(gc?: boolean): Promise<NodeStats>;
}

export interface RunningTarget {
  id: string;
  processes: ServerProcess[];
  /** Where clients connect; they are spread over these round robin. */
  urls: string[];
  broadcaster: ServerProcess;
  /** Application sockets over the servers / app-nodes. */
  sockets(): Promise<number>;
  close(): Promise<void>;
}

function roleOf(kind: ServerKind): NodeRole {
  return kind === "io-node" || kind === "app-node" ? kind : "server";
}

export async function startTarget(target: Target, opts: LaunchOptions): Promise<RunningTarget> {
  if (target.needsRedis && !opts.redisUrl) throw new Error("this target needs Redis (SOCKET_IO_CLUSTER_BENCH_REDIS_URL)");
  const prefix = `bench-${randomBytes(4).toString("hex")}`;
  const apps = target.nodes.filter((k) => k === "app-node").length;
  const peers = target.nodes.filter((k) => k === target.nodes[0]).length;
  const perRole = new Map<NodeRole, number>();
  const processes: ServerProcess[] = target.nodes.map((kind) => {
    const role = roleOf(kind);
    const index = perRole.get(role) ?? 0;
    perRole.set(role, index + 1);
    const spec: NodeSpec = { kind, library: opts.library, redisUrl: opts.redisUrl, prefix, expectApps: apps, expectPeers: kind === "app-node" ? apps : peers };
    // --expose-gc: memory figures are taken after a full collection
    const nodeArgs = ["--expose-gc"];
    const dir = opts.profileDir?.(target.id, role, index);
    if (dir) nodeArgs.push("--cpu-prof", "--cpu-prof-dir", dir);
    const child = new Child({
      name: `${target.id} ${role} ${index}`,
      script: join(__dirname, "server-node.ts"),
      cwd: opts.root,
      nodeArgs,
      env: { ...process.env, BENCH_NODE: JSON.stringify(spec) },
    });
    return { child, role, kind, stats: (gc = false) => child.request<NodeStats>({ cmd: "stats", gc }) };
  });
  const close = () => Promise.all(processes.map((p) => p.child.close({ cmd: "exit" }))).then(() => undefined);
  try {
    await Promise.all(
      processes.map(async (p) => {
        const ready = await p.child.waitFor<ReadyEvent>("ready", 30_000);
        p.url = ready.url;
      }),
    );
  } catch (err) {
    await close();
    throw err;
  }
  const counted = processes.filter((p) => p.role !== "io-node");
  return {
    id: target.id,
    processes,
    urls: processes.filter((p) => p.url).map((p) => p.url!),
    broadcaster: counted[0],
    sockets: async () => (await Promise.all(counted.map((p) => p.stats()))).reduce((n, s) => n + s.sockets, 0),
    close,
  };
}
