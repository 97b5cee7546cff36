/**
 * An application's own tests may fake the timers of the process that runs the Server for a while
 * (`@sinonjs/fake-timers`, `jest.useFakeTimers()`), then restore them. Plain Socket.IO keeps
 * working afterwards; so must a Server relaying through Redis: no relay link, heartbeat, reader or
 * flush may wait forever on a callback that was scheduled on the fake clock and never fires.
 */
import { expect } from "chai";
import FakeTimers from "@sinonjs/fake-timers";
import { Server } from "../src";
import type { ClusterOptions } from "../src";
import { connect, FAST, httpServer, internals, redisUrl, startCluster, track, uniquePrefix } from "./helpers";
import type { ClientSocket } from "./helpers";

/** The timers an app's test typically fakes. */
const FAKED = ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate", "clearImmediate", "Date"] as const;

function echo(io: Server): void {
  io.on("connection", (socket) => {
    socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x));
    socket.on("shout", (x: unknown) => io.emit("heard", x));
  });
}

/** An emit with an ack, answered by the server. */
function echoed(socket: ClientSocket, x: unknown): Promise<unknown> {
  return socket.timeout(5_000).emitWithAck("echo", x);
}

/** Heartbeats this app-node sent so far (its registry's own counter). */
function beats(io: Server): number {
  return (internals(io).registry as unknown as { seq: number }).seq;
}

/**
 * Fakes the timers while the server goes on living: relay traffic happens (a client emits, the
 * server broadcasts) and the node's own heartbeats fire twice, each calling the faked functions.
 * Then the fake clock is dropped without ever being advanced, as a test that only checks
 * "nothing was scheduled" would.
 */
async function fakeTimersFor(io: Server, traffic: () => void): Promise<void> {
  const realSetTimeout = globalThis.setTimeout;
  const clock = FakeTimers.install({ toFake: [...FAKED] });
  try {
    traffic();
    const start = beats(io);
    // the clock is fake: wait on the real one, for the node's own heartbeats to run meanwhile
    while (beats(io) < start + 2) await new Promise((r) => realSetTimeout(r, 10));
  } finally {
    clock.uninstall();
  }
}

async function stillWorks(url: string, before: ClientSocket): Promise<void> {
  // the client connected before the fake window
  expect(await echoed(before, "old")).to.equal("old");
  // a new connection, and a broadcast reaching both
  const after = await connect(url);
  expect(await echoed(after, "new")).to.equal("new");
  const heard = Promise.all([before, after].map((s) => new Promise((r) => s.once("heard", r))));
  after.emit("shout", "both");
  expect(await heard).to.deep.equal(["both", "both"]);
}

describe("fake timers installed then uninstalled in the process running the Server", () => {
  for (const directLinks of [true, false]) {
    const road = directLinks ? "direct links" : "Redis streams";

    it(`co-located server, local fast path off, ${road}: connections work once timers are restored`, async () => {
      const cluster: ClusterOptions = { redis: redisUrl(), prefix: uniquePrefix("fake"), ...FAST, localFastPath: false, directLinks };
      const { server, url } = await httpServer();
      const io = track(new Server(server, { cluster }), "co-located server");
      echo(io);
      await io.ready();
      const before = await connect(url);
      expect(await echoed(before, 1)).to.equal(1);
      await fakeTimersFor(io, () => {
        before.emit("echo", "during", () => undefined);
        io.emit("heard", "during");
      });
      await stillWorks(url, before);
    });

    it(`split io-node and app-node, ${road}: connections work once timers are restored`, async () => {
      const fx = await startCluster({ ioNodes: 1, appNodes: 1, cluster: { directLinks }, setup: echo });
      const before = await fx.connect(0);
      expect(await echoed(before, 1)).to.equal(1);
      await fakeTimersFor(fx.apps[0], () => {
        before.emit("echo", "during", () => undefined);
        fx.apps[0].emit("heard", "during");
      });
      await stillWorks(fx.urls[0], before);
    });
  }
});

