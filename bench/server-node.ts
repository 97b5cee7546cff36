/**
 * One server process of a target (started by targets.ts, one per node): runs the bench
 * application in the role given by BENCH_NODE (JSON, see protocol.NodeSpec), tells the bench when
 * it is ready, and answers its requests: its own CPU time and memory, broadcasts to the room, exit.
 * It ends with the bench (closed IPC channel).
 */
import { join } from "path";
import { getHeapSpaceStatistics } from "v8";
import { EVENTS, NodeSpec, NodeStats, ReadyEvent, ROOM, ServerCommand } from "./protocol";
import { RunningNode, startNode } from "./server-roles";
import { send, serveIpc } from "./serve-ipc";
import { nowMs } from "./stats";

const spec = JSON.parse(process.env.BENCH_NODE ?? "{}") as NodeSpec;
const root = join(__dirname, "..");

/** socket.io-cluster from dist/ (what users run) or from src/ through tsx (profiles name src files). */
function library(): typeof import("../src") {
  return spec.library === "src" ? require("../src") : require(join(root, "dist", "index.js"));
}

let node: RunningNode | undefined;
let closing: Promise<void> | undefined;
const close = () => (closing ??= node ? node.close().catch(() => undefined) : Promise.resolve());
const gc = (globalThis as { gc?: () => void }).gc;

function stats(withGc: boolean): NodeStats {
  // a full collection before a memory figure, so garbage does not count as per-connection memory
  if (withGc && gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  // the young generation is empty after a full GC, but its pages stay resident (see NodeStats.youngResident)
  const young = getHeapSpaceStatistics()
    .filter((sp) => sp.space_name.startsWith("new_"))
    .reduce((n, sp) => n + sp.physical_space_size, 0);
  return { cpu: process.cpuUsage(), rss: m.rss, heapUsed: m.heapUsed, youngResident: young, sockets: node?.sockets() ?? 0 };
}

function handle(req: ServerCommand): unknown {
  switch (req.cmd) {
    case "stats":
      return stats(req.gc === true);
    case "emit": {
      const io = node?.io;
      if (!io) throw new Error(`a ${node?.role ?? "starting"} process does not broadcast`);
      for (let s = 0; s < req.count; s++) io.to(ROOM).emit(EVENTS.broadcast, { b: req.batch, s, t: nowMs(), text: "hello, room" });
      return undefined;
    }
    case "exit":
      // answer first, then leave: the bench waits for the exit
      void close().then(() => setTimeout(() => process.exit(0), 10));
      return undefined;
  }
}

serveIpc<ServerCommand>(handle, close);

startNode(spec, library).then(
  (n) => {
    node = n;
    const ready: ReadyEvent = { event: "ready", role: n.role, url: n.url, pid: process.pid };
    send(ready as unknown as { event: string });
  },
  (err: Error) => {
    console.error(`[bench] ${spec.kind} process: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
