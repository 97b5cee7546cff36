/**
 * The adapter API that `@socket.io/redis-adapter` users rely on, judged by equality: each scenario
 * runs on plain socket.io servers joined by the redis-adapter (the reference) and on our app-nodes
 * (split: standalone io-nodes; colocated: `new Server(httpServer)` with Redis), and the
 * observations must be the same. Plain single-server Socket.IO cannot express these (its in-memory
 * adapter has neither `allRooms` nor `serverSideEmit`), so they live here and not in compat/.
 */
import { expect } from "chai";
import { createServer } from "http";
import Redis from "ioredis";
import { Server as PlainServer } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { Server } from "../src";
import {
  ClientSocket,
  FAST,
  closeHttp,
  connect,
  listen,
  onCleanup,
  redisUrl,
  startCluster,
  track,
  uniquePrefix,
  waitFor,
  waitForPeers,
} from "./helpers";
import { spawnNode } from "./helpers/processes";

type AnyServer = PlainServer;

interface Deployment {
  servers: AnyServer[];
  /** A connected client whose socket the deployment places on server `i` when it can choose. */
  connect(i: number, nsp: string, auth: Record<string, unknown>): Promise<ClientSocket>;
  /** Index of the server that owns the socket `id` of `nsp`. */
  ownerOf(id: string, nsp: string): number;
  /** Environment for test/fixtures/ping-node.ts to join this deployment as one more server. */
  childEnv: Record<string, string>;
}

interface DeploymentOptions {
  servers: number;
  requestsTimeout?: number;
  setup(io: AnyServer, index: number): void;
}

type Kind = "redis-adapter" | "split" | "colocated";

/** `allRooms()` is the redis-adapter's and ours; socket.io's `Adapter` type does not declare it. */
function allRooms(io: AnyServer, nsp: string): Promise<Set<string>> {
  return (io.of(nsp).adapter as unknown as { allRooms(): Promise<Set<string>> }).allRooms();
}

/** Waits until every server's adapter of `nsp` counts `n` servers (pub/sub subscribed, peers heard). */
async function serversMeet(servers: AnyServer[], n = servers.length, nsp = "/"): Promise<void> {
  await waitFor(
    async () => (await Promise.all(servers.map((s) => s.of(nsp).adapter.serverCount()))).every((c) => c === n),
    10_000,
    `every adapter of ${nsp} to count ${n} servers`,
  );
}

/** The reference: plain socket.io servers on their own ports, joined by `@socket.io/redis-adapter`. */
async function redisAdapterDeployment(opts: DeploymentOptions): Promise<Deployment> {
  const key = uniquePrefix("redis-adapter");
  const servers: AnyServer[] = [];
  const urls: string[] = [];
  for (let i = 0; i < opts.servers; i++) {
    const pub = new Redis(redisUrl());
    const sub = pub.duplicate();
    onCleanup(() => Promise.all([pub.quit(), sub.quit()]), "redis-adapter clients");
    const http = createServer();
    onCleanup(() => closeHttp(http), "http server");
    const io = new PlainServer(http, {
      adapter: createAdapter(pub, sub, { key, ...(opts.requestsTimeout ? { requestsTimeout: opts.requestsTimeout } : {}) }),
    });
    track(io, "plain socket.io");
    opts.setup(io, i);
    urls.push(`http://127.0.0.1:${await listen(http)}`);
    servers.push(io);
  }
  await serversMeet(servers);
  return {
    servers,
    connect: (i, nsp, auth) => connect(urls[i] + (nsp === "/" ? "" : nsp), { auth }),
    ownerOf: (id, nsp) => servers.findIndex((s) => s.of(nsp).sockets.has(id)),
    childEnv: { KIND: "redis-adapter", REDIS_URL: redisUrl(), KEY: key },
  };
}

/** Our app-nodes: split (standalone io-nodes) or colocated (each app-node hosts an io-node). */
async function clusterDeployment(kind: "split" | "colocated", opts: DeploymentOptions): Promise<Deployment> {
  const cluster = { ...(opts.requestsTimeout ? { requestsTimeout: opts.requestsTimeout } : {}) };
  if (kind === "split") {
    const fx = await startCluster({ appNodes: opts.servers, ioNodes: 1, cluster, setup: (io, i) => opts.setup(io as never, i) });
    const servers = fx.apps as unknown as AnyServer[];
    await serversMeet(servers);
    return {
      servers,
      // the io-node hands connections to the app-nodes in turn: placement is its choice
      connect: (_i, nsp, auth) => fx.connect(0, { auth }, nsp),
      ownerOf: (id, nsp) => servers.findIndex((s) => s.of(nsp).sockets.has(id)),
      childEnv: clusterChildEnv(fx.prefix),
    };
  }
  const prefix = uniquePrefix("colocated");
  const servers: AnyServer[] = [];
  const urls: string[] = [];
  for (let i = 0; i < opts.servers; i++) {
    const http = createServer();
    onCleanup(() => closeHttp(http), "http server");
    const io = new Server(http, { cluster: { redis: redisUrl(), prefix, ...FAST, ...cluster } });
    track(io, "app-node");
    opts.setup(io as never, i);
    urls.push(`http://127.0.0.1:${await listen(http)}`);
    servers.push(io as unknown as AnyServer);
  }
  await Promise.all(servers.map((s) => (s as unknown as Server).ready()));
  await waitForPeers(servers as unknown as Server[]);
  await serversMeet(servers);
  return {
    servers,
    connect: (i, nsp, auth) => connect(urls[i] + (nsp === "/" ? "" : nsp), { auth }),
    ownerOf: (id, nsp) => servers.findIndex((s) => s.of(nsp).sockets.has(id)),
    childEnv: clusterChildEnv(prefix),
  };
}

function clusterChildEnv(prefix: string): Record<string, string> {
  return { KIND: "cluster", REDIS_URL: redisUrl(), PREFIX: prefix, HEARTBEAT: String(FAST.heartbeatInterval), NODE_TIMEOUT: String(FAST.nodeTimeout) };
}

function deploy(kind: Kind, opts: DeploymentOptions): Promise<Deployment> {
  return kind === "redis-adapter" ? redisAdapterDeployment(opts) : clusterDeployment(kind, opts);
}

/**
 * Runs `scenario` on the reference and on each of our deployments; their observations must be
 * equal. `expected`, when given, pins the reference itself, so a scenario that observes nothing
 * cannot pass by accident.
 */
function parity(title: string, scenario: (kind: Kind) => Promise<unknown>, expected?: unknown): void {
  describe(title, () => {
    let reference: unknown;
    it("on plain socket.io servers with @socket.io/redis-adapter (the reference)", async () => {
      reference = await scenario("redis-adapter");
      if (expected !== undefined) expect(reference).to.deep.equal(expected);
    });
    for (const kind of ["split", "colocated"] as const) {
      it(`on our app-nodes (${kind}): the same as the redis-adapter`, async () => {
        if (reference === undefined) reference = await scenario("redis-adapter");
        expect(await scenario(kind)).to.deep.equal(reference);
      });
    }
  });
}

describe("the redis-adapter's API, on our app-nodes", function () {
  this.timeout(30_000);

  // ---------------------------------------------------------------------------------------------
  // allRooms

  /** Joins the rooms of `auth.rooms`; "leave" leaves one and answers. */
  function roomsApp(io: AnyServer): void {
    for (const nsp of ["/", "/other"]) {
      io.of(nsp).on("connection", (socket) => {
        socket.join(socket.handshake.auth.rooms ?? []);
        socket.on("leave", (room: string, ack: () => void) => {
          socket.leave(room);
          ack();
        });
      });
    }
  }

  parity("adapter.allRooms() lists the rooms of the namespace on every server", async (kind) => {
    const d = await deploy(kind, { servers: 2, setup: roomsApp });
    const a = await d.connect(0, "/", { rooms: ["r-a", "shared"] });
    const b = await d.connect(1, "/", { rooms: ["r-b", "shared"] });
    const o = await d.connect(1, "/other", { rooms: ["only-in-other"] });
    // socket ids differ from run to run: name them
    const name = (room: string) => (room === a.id ? "<a>" : room === b.id ? "<b>" : room === o.id ? "<o>" : room);
    const all = async () =>
      Promise.all(d.servers.map(async (s) => [...(await allRooms(s, "/"))].map(name).sort()));
    const before = await all();
    await b.emitWithAck("leave", "r-b");
    const afterLeave = await all();
    return {
      aAndBOnDifferentServers: d.ownerOf(a.id!, "/") !== d.ownerOf(b.id!, "/"),
      before,
      afterLeave,
      other: [...(await allRooms(d.servers[0], "/other"))].map(name).sort(),
    };
  }, {
    aAndBOnDifferentServers: true,
    before: [0, 1].map(() => ["<a>", "<b>", "r-a", "r-b", "shared"]),
    afterLeave: [0, 1].map(() => ["<a>", "<b>", "r-a", "shared"]),
    other: ["<o>", "only-in-other"],
  });

  parity("adapter.allRooms() on a server alone: its own rooms", async (kind) => {
    const d = await deploy(kind, { servers: 1, setup: roomsApp });
    const a = await d.connect(0, "/", { rooms: ["r-a"] });
    return [...(await allRooms(d.servers[0], "/"))].map((r) => (r === a.id ? "<a>" : r)).sort();
  }, ["<a>", "r-a"]);

  // ---------------------------------------------------------------------------------------------
  // serverSideEmit with an ack, an app-node that does not answer

  /** Server 1 answers "ping"; server 2 receives it and never calls the ack. */
  function pingApp(io: AnyServer, index: number): void {
    io.on("ping", (what: string, ack: (r: string) => void) => {
      if (index === 1) ack(`pong to ${what} from server 1`);
    });
  }

  parity("serverSideEmit with an ack and a server that never answers: error and partial responses", async (kind) => {
    const d = await deploy(kind, { servers: 3, requestsTimeout: 500, setup: pingApp });
    const io = d.servers[0];
    const viaCallback = await new Promise((resolve) =>
      io.serverSideEmit("ping", "callback", (err: Error | null, responses: unknown[]) =>
        resolve({ err: err && { type: err.constructor.name, message: err.message }, responses }),
      ),
    );
    const viaPromise = await io.serverSideEmitWithAck("ping", "promise").then(
      (responses) => ({ resolved: responses }),
      (err: Error & { responses?: unknown[] }) => ({ rejected: err.message, type: err.constructor.name, responses: err.responses }),
    );
    return { viaCallback, viaPromise };
  }, {
    viaCallback: {
      err: { type: "Error", message: "timeout reached: only 1 responses received out of 2" },
      responses: ["pong to callback from server 1"],
    },
    viaPromise: {
      rejected: "timeout reached: only 1 responses received out of 2",
      type: "Error",
      responses: ["pong to promise from server 1"],
    },
  });

  parity("serverSideEmit with an ack when every server answers", async (kind) => {
    const d = await deploy(kind, {
      servers: 3,
      requestsTimeout: 10_000,
      setup: (io, index) => io.on("ping", (ack: (r: string) => void) => ack(`pong from ${index}`)),
    });
    const responses = (await d.servers[0].serverSideEmitWithAck("ping")) as string[];
    return responses.sort();
  }, ["pong from 1", "pong from 2"]);

  parity("requestsTimeout: 5000 ms unless given, and the adapter is given it", async (kind) => {
    const timeoutOf = async (requestsTimeout?: number) => {
      const d = await deploy(kind, { servers: 1, requestsTimeout, setup: () => undefined });
      return (d.servers[0].of("/").adapter as unknown as { requestsTimeout?: number }).requestsTimeout;
    };
    return { byDefault: await timeoutOf(), given: await timeoutOf(1234) };
  }, { byDefault: 5000, given: 1234 });

  it("requestsTimeout must be a positive number of ms", () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      expect(() => new Server({ cluster: { redis: redisUrl(), requestsTimeout: bad } })).to.throw(/requestsTimeout/);
    }
  });

  // A frozen process keeps its Redis connections (the redis-adapter still counts it) but stops
  // its heartbeats (our app-nodes notice it dead after nodeTimeout, while the request waits).
  parity("serverSideEmit with an ack while one server's process is frozen (SIGSTOP)", async (kind) => {
    const d = await deploy(kind, {
      servers: 2,
      // longer than it takes our app-nodes to call the frozen one dead (nodeTimeout + 1 s sweep)
      requestsTimeout: 2_500,
      setup: (io, index) => io.on("ping", (ack: (r: string) => void) => ack(`pong from ${index}`)),
    });
    const child = await spawnNode("ping-node", { ...d.childEnv, NAME: "child" });
    onCleanup(() => child.kill(), "ping-node");
    await serversMeet(d.servers, 3);
    const answered = (await d.servers[0].serverSideEmitWithAck("ping")) as string[];
    child.proc.kill("SIGSTOP");
    const frozen = await d.servers[0].serverSideEmitWithAck("ping").then(
      (responses) => ({ resolved: responses }),
      (err: Error & { responses?: unknown[] }) => ({ rejected: err.message, responses: err.responses }),
    );
    return { answered: answered.sort(), frozen };
  }, {
    answered: ["pong from 1", "pong from child"],
    frozen: { rejected: "timeout reached: only 1 responses received out of 2", responses: ["pong from 1"] },
  });
});
