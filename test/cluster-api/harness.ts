/**
 * What the cluster API tests share: a cluster of 2 standalone io-nodes and 2 app-nodes in this
 * process (each with its own Redis connections) whose app-nodes answer the same basic events, and
 * clients spread so that every test crosses io-nodes and app-nodes.
 */
import { Server } from "../../src";
import { ClientOptions, ClientSocket, ClusterFixture, ClusterFixtureOptions, startCluster } from "../helpers";

export interface Placed {
  client: ClientSocket;
  /** Index of the io-node it is connected to. */
  io: number;
  /** Index of the app-node that owns it. */
  app: number;
}

/** Every app-node answers the same basic events; `data.app` says which app-node owns a socket. */
export function basicApp(io: Server, index: number): void {
  io.on("connection", (socket) => {
    socket.data.app = index;
    socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x));
    socket.on("join", (room: string, cb: () => void) => {
      socket.join(room);
      cb();
    });
    socket.on("whoami", (cb: (w: unknown) => void) => cb({ app: index, id: socket.id, rooms: [...socket.rooms] }));
  });
}

/** A started cluster whose app-nodes run `basicApp` (then `opts.setup`). */
export async function cluster(opts: ClusterFixtureOptions = {}): Promise<ClusterFixture> {
  return startCluster({
    ...opts,
    setup: (io, i) => {
      basicApp(io, i);
      opts.setup?.(io, i);
    },
  });
}

/**
 * Connects `n` clients, alternating io-nodes, one after the other: each io-node hands its
 * connections to the app-nodes in turn, so 4 clients cover every (io-node, app-node) pair.
 */
export async function spread(fx: ClusterFixture, n = 4, opts: ClientOptions = {}): Promise<Placed[]> {
  const out: Placed[] = [];
  for (let i = 0; i < n; i++) {
    const io = i % fx.ioNodes.length;
    const client = await fx.connect(io, opts);
    out.push({ client, io, app: fx.apps.indexOf(fx.ownerOf(client.id!)) });
  }
  return out;
}

/** The client owned by app-node `app` (on io-node `io`, if given). */
export function find(placed: Placed[], app: number, io?: number): ClientSocket {
  const p = placed.find((x) => x.app === app && (io === undefined || x.io === io));
  if (!p) throw new Error(`no client owned by app-node ${app}${io === undefined ? "" : ` on io-node ${io}`}`);
  return p.client;
}
