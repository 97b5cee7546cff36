/**
 * The fault suite's cluster: io-nodes and app-nodes as real child processes (test/fixtures), each
 * killable for real, with short heartbeats so that a death is noticed in well under a second.
 * Every `load` handler run on any app-node, dead or alive, is counted from its "GOT" lines.
 */
import { io as ioc } from "socket.io-client";
import { closeClient, onCleanup, uniquePrefix, waitFor } from "../helpers";
import { killAll, NodeProcess, spawnNode } from "../helpers/processes";

/** Heartbeat and death timeout of every node of the suite (ms). */
export const TIMINGS = { heartbeat: 100, nodeTimeout: 600 };

export interface TopologyOptions {
  redis: string;
  /** @default 2 */
  ioNodes?: number;
  /** @default 2 */
  appNodes?: number;
  /** Extra environment of every app-node (RECOVERY, HANDOVER...). */
  appEnv?: Record<string, string>;
}

export class Topology {
  readonly ioNodes: NodeProcess[] = [];
  /** App-nodes running now (a stopped one leaves this list; a started one joins it). */
  readonly apps: NodeProcess[] = [];
  /** "<key> <n>" -> how many times a `load` handler ran for that event, on every app-node so far. */
  readonly handlerRuns = new Map<string, number>();
  private readonly env: Record<string, string>;

  private constructor(private readonly opts: TopologyOptions) {
    this.env = {
      REDIS_URL: opts.redis,
      PREFIX: uniquePrefix("faults"),
      HEARTBEAT: String(TIMINGS.heartbeat),
      NODE_TIMEOUT: String(TIMINGS.nodeTimeout),
    };
  }

  /**
   * App-nodes first, then io-nodes, so that each io-node knows every app-node when it is ready
   * (its registry is read once before READY).
   *
   * @example
   * const topo = await Topology.start({ redis: redisUrl(), appEnv: { RECOVERY: "1" } });
   */
  static async start(opts: TopologyOptions): Promise<Topology> {
    const topo = new Topology(opts);
    onCleanup(() => killAll(), "fault topology");
    await Promise.all(Array.from({ length: opts.appNodes ?? 2 }, () => topo.startApp()));
    const ioNodes = await Promise.all(Array.from({ length: opts.ioNodes ?? 2 }, () => spawnNode("io-node", topo.env)));
    topo.ioNodes.push(...ioNodes);
    return topo;
  }

  /** The cluster prefix of every node of the topology. */
  get prefix(): string {
    return this.env.PREFIX;
  }

  /** host:port of each io-node. */
  get addresses(): string[] {
    return this.ioNodes.map((n) => n.address!);
  }

  /** Starts one more app-node, counting its handler runs. */
  async startApp(): Promise<NodeProcess> {
    const app = await spawnNode("app-node", { ...this.env, ...this.opts.appEnv });
    this.countRuns(app);
    this.apps.push(app);
    return app;
  }

  /** The running app-node with this id. */
  app(id: string): NodeProcess {
    const app = this.apps.find((a) => a.id === id);
    if (!app) throw new Error(`no running app-node ${id}`);
    return app;
  }

  /** Sends `signal` to an app-node and resolves once its process has exited. */
  async stopApp(app: NodeProcess, signal: NodeJS.Signals): Promise<void> {
    this.apps.splice(this.apps.indexOf(app), 1);
    await app.kill(signal);
  }

  /**
   * Resolves once every io-node hands new connections to `app`: a probe client per attempt asks
   * who owns it (round robin over the live app-nodes reaches `app` within a few attempts once the
   * io-node has seen it).
   */
  async waitUntilServing(app: NodeProcess, timeoutMs = 5_000): Promise<void> {
    for (const address of this.addresses) {
      await waitFor(() => ownerOfProbe(address).then((owner) => owner === app.id), timeoutMs, `io-node ${address} to use ${app.id}`);
    }
  }

  private countRuns(app: NodeProcess): void {
    let partial = "";
    app.proc.stdout!.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split("\n");
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith("GOT ")) continue;
        const key = line.slice(4);
        this.handlerRuns.set(key, (this.handlerRuns.get(key) ?? 0) + 1);
      }
    });
  }
}

/** The app-node that a fresh connection to `address` is given. */
async function ownerOfProbe(address: string): Promise<string | undefined> {
  const probe = ioc(`http://${address}`, { forceNew: true, reconnection: false, transports: ["websocket"] });
  try {
    await new Promise<void>((resolve, reject) => probe.once("connect", resolve).once("connect_error", reject));
    const info = (await probe.timeout(2_000).emitWithAck("whoami")) as { app: string };
    return info.app;
  } finally {
    closeClient(probe);
  }
}
