import { statSync } from "fs";
import { basename, dirname, join, relative, resolve } from "path";
import { debug as makeDebug } from "../log";
import { integerFlag, parseCommandArgs, portFlag, UsageError } from "./args";
import { ChildProcesses } from "./child-processes";
import { chooseDevRedis, DevRedis, startDevRedis } from "./dev-redis";
import { printDevSummary, DevNode } from "./dev-summary";
import { IO_NODE_READY_LINE } from "./io-node-command";
import { canConnect, isPortFree } from "./ports";
import { exitOnSignal } from "./shutdown";
import { waitFor } from "./wait-for";
import { CLUSTER_DEFAULTS, CLUSTER_ENV } from "../defaults";

const debug = makeDebug("cli:dev");

export const DEV_HELP = `Usage: socket.io-cluster dev APP_FILE [options]

Runs APP_FILE, a Node.js Socket.IO app that requires socket.io-cluster, as a local cluster:
M processes of your app (app-nodes, each also holding connections on its own port), N standalone
io-nodes, and Redis between them. Every node's URL reaches the same app.

Options:
  --io-nodes N    standalone io-node processes (default: 2)
  --app-nodes M   processes running APP_FILE (default: 1); in-process state such as a
                  counter is per process, so keep 1 unless the app shares its state
  --port P        app-nodes listen on P..P+M-1 (given as PORT), io-nodes on the ports after
                  (default: 3000)
  --redis URL     Redis to use (default: $${CLUSTER_ENV.redis}; if neither is set, a
                  private redis-server when one is installed, else the in-memory default,
                  which runs APP_FILE alone as a single process)
  --prefix P      cluster key prefix (default: $${CLUSTER_ENV.prefix} or "${CLUSTER_DEFAULTS.prefix}")
  --static DIR    files the io-nodes serve (default: <APP_FILE dir>/public if it exists)
  --metrics-port P  Prometheus metrics of the app-nodes at P..P+M-1, of the io-nodes on the
                  ports after (GET /metrics; default: $${CLUSTER_ENV.metricsPort}, or none)
  -h, --help      show this help

Ctrl-C (or SIGTERM) stops every process it started.
`;

const OPTIONS = {
  "io-nodes": { type: "string" },
  "app-nodes": { type: "string" },
  port: { type: "string" },
  redis: { type: "string" },
  prefix: { type: "string" },
  static: { type: "string" },
  "metrics-port": { type: "string" },
} as const;

/** How long a node may take to open its port before the summary flags it. */
const START_TIMEOUT_MS = 20_000;
const MAX_NODES = 64;

interface DevPlan {
  appFile: string;
  appNodes: number;
  ioNodes: number;
  port: number;
  prefix: string;
  staticDir?: string;
  redis?: string;
  /** First metrics port (app-nodes, then io-nodes, consecutive); none when undefined. */
  metricsPort?: number;
}

/**
 * `socket.io-cluster dev APP_FILE`: runs the app as a local cluster until SIGINT or SIGTERM,
 * then stops every process it started.
 */
export async function runDevCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, true);
  if (values.help) return void process.stdout.write(DEV_HELP);
  const plan = makePlan(values, positionals);
  debug("plan %o", plan);

  let stopping = false;
  const children = new ChildProcesses((child, description) => {
    console.error(`[dev] ${child.name} ${description}`);
    const nodesLeft = children.running().filter((c) => c.name !== "redis");
    if (nodesLeft.length > 0) {
      console.error(`[dev] the other processes keep running; Ctrl-C stops them`);
      return;
    }
    if (stopping) return;
    stopping = true;
    console.error(`[dev] no node is left running: stopping`);
    void children.stop().then(() => process.exit(1));
  });
  const nodes: DevNode[] = [];
  exitOnSignal(async () => {
    stopping = true;
    console.log("\n[dev] stopping...");
    // the nodes leave the cluster through Redis, so Redis goes last
    await children.stop([nodes.map((n) => n.child)]);
  });

  const source = chooseDevRedis(plan.redis);
  if (!source) {
    console.log(
      `[dev] No Redis is configured (--redis or ${CLUSTER_ENV.redis}) and redis-server is not installed:\n` +
        `[dev] falling back to the in-memory default, which is a single process. Running only ${relative(process.cwd(), plan.appFile) || plan.appFile}\n` +
        `[dev] on port ${plan.port}, without io-nodes. Install Redis (e.g. apt-get install redis-server) for a real cluster.`,
    );
    plan.appNodes = 1;
    plan.ioNodes = 0;
  }
  await assertPortsFree(plan);
  const redis = source && (await startDevRedis(source, children));
  if (stopping) return;
  for (let i = 0; i < plan.appNodes; i++) nodes.push(startAppNode(plan, i, redis, children));
  if (redis) for (let i = 0; i < plan.ioNodes; i++) nodes.push(startIoNode(plan, i, redis, children));
  await Promise.all(nodes.map(async (n) => (n.up = await waitFor(n.isReady, START_TIMEOUT_MS, () => n.child.exited))));
  if (!stopping) printDevSummary(plan.appFile, redis, plan.prefix, nodes);
}

function makePlan(values: Record<string, string | boolean | undefined>, positionals: string[]): DevPlan {
  if (positionals.length !== 1) {
    throw new UsageError(positionals.length === 0 ? "APP_FILE is missing" : `expected one APP_FILE, got ${positionals.join(" ")}`);
  }
  const appFile = resolve(positionals[0]);
  if (!statSync(appFile, { throwIfNoEntry: false })?.isFile()) throw new UsageError(`APP_FILE ${positionals[0]}: no such file (expected a .js file to run with node)`);
  const str = (k: string) => values[k] as string | undefined;
  const plan: DevPlan = {
    appFile,
    appNodes: integerFlag("app-nodes", str("app-nodes"), 1, MAX_NODES) ?? 1,
    ioNodes: integerFlag("io-nodes", str("io-nodes"), 0, MAX_NODES) ?? 2,
    port: portFlag("port", str("port")) ?? 3000,
    prefix: str("prefix") ?? process.env[CLUSTER_ENV.prefix] ?? CLUSTER_DEFAULTS.prefix,
    redis: str("redis") ?? (process.env[CLUSTER_ENV.redis] || undefined),
    staticDir: staticDirFor(appFile, str("static")),
    metricsPort: portFlag("metrics-port", str("metrics-port") ?? (process.env[CLUSTER_ENV.metricsPort] || undefined)),
  };
  if (plan.metricsPort === 0) throw new UsageError("--metrics-port must be a fixed port: the nodes get consecutive ports from it");
  if (plan.metricsPort !== undefined && plan.metricsPort + plan.appNodes + plan.ioNodes - 1 > 65535) {
    throw new UsageError(`--metrics-port ${plan.metricsPort} leaves too few ports for every node`);
  }
  if (plan.port === 0) throw new UsageError("--port must be a fixed port: the nodes get consecutive ports from it");
  if (plan.port + plan.appNodes + plan.ioNodes - 1 > 65535) throw new UsageError(`--port ${plan.port} leaves too few ports for every node`);
  return plan;
}

function staticDirFor(appFile: string, flag: string | undefined): string | undefined {
  const dir = resolve(flag ?? join(dirname(appFile), "public"));
  const isDir = !!statSync(dir, { throwIfNoEntry: false })?.isDirectory();
  if (flag !== undefined && !isDir) throw new UsageError(`--static ${flag}: not a directory`);
  return isDir ? dir : undefined;
}

async function assertPortsFree(plan: DevPlan): Promise<void> {
  const ports = Array.from({ length: plan.appNodes + plan.ioNodes }, (_, i) => plan.port + i);
  const busy: number[] = [];
  for (const port of ports) if (!(await isPortFree(port))) busy.push(port);
  if (busy.length > 0) {
    throw new UsageError(`port${busy.length > 1 ? "s" : ""} ${busy.join(", ")} already in use: free ${busy.length > 1 ? "them" : "it"} or pick another --port`);
  }
}

function startAppNode(plan: DevPlan, i: number, redis: DevRedis | undefined, children: ChildProcesses): DevNode {
  const port = plan.port + i;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), [CLUSTER_ENV.prefix]: plan.prefix };
  if (redis) env[CLUSTER_ENV.redis] = redis.url;
  else delete env[CLUSTER_ENV.redis];
  // each process its own metrics port (one shared value would collide)
  if (plan.metricsPort !== undefined) env[CLUSTER_ENV.metricsPort] = String(plan.metricsPort + i);
  else delete env[CLUSTER_ENV.metricsPort];
  const child = children.start({ name: `app-${i}`, command: process.execPath, args: [plan.appFile], env });
  // an app says nothing we could rely on: it is up once it accepts connections
  return { role: "app", name: child.name, port, child, up: false, isReady: () => canConnect("127.0.0.1", port) };
}

function startIoNode(plan: DevPlan, i: number, redis: DevRedis, children: ChildProcesses): DevNode {
  const port = plan.port + plan.appNodes + i;
  // the node flags we run with (e.g. a TypeScript loader), minus a debugger that would want our port
  const nodeFlags = process.execArgv.filter((flag) => !flag.startsWith("--inspect"));
  const args = [...nodeFlags, cliScript(), "io-node", "--port", String(port), "--redis", redis.url, "--prefix", plan.prefix];
  if (plan.staticDir) args.push("--static", plan.staticDir);
  if (plan.metricsPort !== undefined) args.push("--metrics-port", String(plan.metricsPort + plan.appNodes + i));
  // its port opens before it has joined the cluster; the line it prints comes after
  let joined = false;
  const onOutputLine = (line: string) => (joined ||= IO_NODE_READY_LINE.test(line));
  const child = children.start({ name: `io-${i}`, command: process.execPath, args, onOutputLine });
  return { role: "io", name: child.name, port, child, up: false, isReady: () => joined };
}

/** This CLI's own entry script, to start io-nodes the same way we were started. */
function cliScript(): string {
  const script = process.argv[1];
  if (!script) throw new Error(`cannot tell where ${basename(process.execPath)} found the socket.io-cluster CLI`);
  return resolve(script);
}
