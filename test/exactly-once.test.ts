import { expect } from "chai";
import { createIoNode, IoNode } from "../src";
import { aliveApps, connect, once, redisUrl, track, uniquePrefix, waitFor, ClientSocket } from "./helpers";
import type { NodeRecord } from "../src/cluster/node-registry";
import { killAll, NodeProcess, spawnNode } from "./helpers/processes";

/**
 * How many times the app code ran each client event, across app-node processes that are paused,
 * resumed and killed for real: the fixture prints "RAN <id>" from the event's handler.
 */
class HandlerRuns {
  readonly runs = new Map<string, number>();

  watch(app: NodeProcess): void {
    let rest = "";
    app.proc.stdout!.on("data", (chunk: Buffer) => {
      const lines = (rest + chunk.toString()).split("\n");
      rest = lines.pop()!;
      for (const line of lines) {
        const m = /^RAN (\S+)$/.exec(line);
        if (m) this.runs.set(m[1], (this.runs.get(m[1]) ?? 0) + 1);
      }
    });
  }

  /** The ids that ran more than once. */
  twice(): string[] {
    return [...this.runs].filter(([, n]) => n > 1).map(([id]) => id);
  }
}

/** Event ids `<label>1<suffix>`..`<label>n<suffix>`. */
function ids(label: string, n: number, suffix = ""): string[] {
  return Array.from({ length: n }, (_, i) => `${label}${i + 1}${suffix}`);
}

/** Sends "count" events `<label>1`..`<label>n` at once and resolves with the app-node that answered each. */
function count(client: ClientSocket, label: string, n: number): Promise<string[]> {
  return Promise.all(ids(label, n).map((id) => client.timeout(15_000).emitWithAck("count", id) as Promise<string>));
}

/** Like {@link count}, one event at a time: each travels in a batch of its own. */
async function countOneByOne(client: ClientSocket, label: string, n: number): Promise<string[]> {
  const owners: string[] = [];
  for (let i = 1; i <= n; i++) owners.push(...(await count(client, `${label}${i}-`, 1)));
  return owners;
}

/** The io-node's link to an app-node, for white-box waits. */
function unreceiptedBatches(ioNode: IoNode, appId: string): number | undefined {
  const links = (ioNode as unknown as { links: Map<string, { unreceipted?: unknown[] }> }).links;
  return links.get(appId)?.unreceipted?.length;
}

/** What the io-node's registry last read of a node. */
function recordOf(ioNode: IoNode, id: string): NodeRecord | undefined {
  return (ioNode as unknown as { registry: { get(id: string): NodeRecord | undefined } }).registry.get(id);
}

describe("exactly-once relay between live nodes", function () {
  this.timeout(40_000);
  afterEach(() => killAll());

  async function cluster(extraEnv: Record<string, string> = {}, nodeTimeout = 600) {
    const p = uniquePrefix("once");
    const env = { REDIS_URL: redisUrl(), PREFIX: p, HEARTBEAT: "100", NODE_TIMEOUT: String(nodeTimeout), ...extraEnv };
    const apps = await Promise.all([spawnNode("app-node", env), spawnNode("app-node", env)]);
    const runs = new HandlerRuns();
    apps.forEach((a) => runs.watch(a));
    const ioNode = track(createIoNode({ port: 0, redis: redisUrl(), prefix: p, heartbeatInterval: 100, nodeTimeout }), "io-node");
    await ioNode.ready();
    await waitFor(() => aliveApps(ioNode).length === 2, 10_000, "both app-nodes alive");
    return { apps, runs, ioNode, url: `http://${ioNode.address()}` };
  }

  /** A client whose connection the io-node gave to `app` (round-robin: a few tries at most). */
  async function clientOf(url: string, app: string): Promise<ClientSocket> {
    for (let i = 0; i < 6; i++) {
      const client = await connect(url);
      const [owner] = await count(client, `probe-${app}-${i}-`, 1);
      if (owner === app) return client;
    }
    throw new Error(`no connection landed on ${app}`);
  }

  it("a false death (SIGSTOP past nodeTimeout) then a real one (SIGKILL) runs no handler twice", async () => {
    const { apps, runs, ioNode, url } = await cluster();
    const first = await connect(url);
    const [owner] = await count(first, "warmup", 1);
    const doomed = apps.find((a) => a.id === owner)!;
    const survivor = apps.find((a) => a.id !== owner)!;
    // many batches on the first link, fewer on the next: a receipt position carried over from the
    // first would stay ahead of the second's sequence numbers and hold its receipts back
    expect((await countOneByOne(first, "a", 30)).every((app) => app === doomed.id)).to.equal(true);

    // frozen: the io-node thinks it dead and re-homes the connection, with the events it sent it
    const rehomed = once(first, "connect", 10_000);
    doomed.proc.kill("SIGSTOP");
    const whileFrozen = count(first, "b", 5);
    await rehomed;
    expect((await whileFrozen).every((app) => app === survivor.id), "the frozen node's events ran on the survivor").to.equal(true);
    const replayedByFreeze = ioNode.replayedPackets;

    // it wakes up to those events in its inbox, and comes back: the io-node gives it a new link
    doomed.proc.kill("SIGCONT");
    await waitFor(() => aliveApps(ioNode).includes(doomed.id), 10_000, "the thawed app-node alive again");
    const second = await clientOf(url, doomed.id);
    expect((await count(second, "c", 10)).every((app) => app === doomed.id)).to.equal(true);
    await count(first, "s", 5);
    // its receipts of the new link arrive: nothing it handled is kept for replay
    await waitFor(() => unreceiptedBatches(ioNode, doomed.id) === 0, 5_000, "the io-node to get receipts of the new link");
    // the thawed node dropped the batches re-homed meanwhile, and says so in its heartbeat
    await waitFor(() => (recordOf(ioNode, doomed.id)?.duplicates ?? 0) >= 1, 5_000, "the dropped batches counted");

    // the real death: only what was in flight may be replayed
    const rehomedAgain = once(second, "connect", 10_000);
    await doomed.kill("SIGKILL");
    await rehomedAgain;
    expect((await count(second, "d", 5)).every((app) => app === survivor.id)).to.equal(true);

    const sent = [...ids("a", 30, "-1"), ...ids("b", 5), ...ids("c", 10), ...ids("s", 5), ...ids("d", 5)];
    for (const id of sent) expect(runs.runs.get(id), `${id} ran`).to.be.at.least(1);
    expect(runs.twice(), "handlers that ran twice").to.deep.equal([]);
    expect(ioNode.replayedPackets, "nothing replayed after the receipts of the new link").to.equal(replayedByFreeze);
    expect(replayedByFreeze, "the frozen node's events were replayed (and counted)").to.be.at.least(1);
  });

  it("io.handOver() while events keep coming runs each handler exactly once", async () => {
    const { apps, runs, url } = await cluster({ HANDOVER: "1" }, 60_000);
    const client = await connect(url);
    const [owner] = await count(client, "warmup", 1);
    const leaving = apps.find((a) => a.id === owner)!;
    const before = count(client, "e", 20);
    const stopped = leaving.kill("SIGTERM");
    const during = count(client, "f", 20);
    await stopped;
    const answered = [...(await before), ...(await during), ...(await count(client, "g", 5))];
    expect(answered.slice(-5).every((app) => app !== leaving.id), "the last events ran on the other app-node").to.equal(true);
    for (const id of [...ids("e", 20), ...ids("f", 20), ...ids("g", 5)]) expect(runs.runs.get(id), `${id} ran`).to.equal(1);
    expect(runs.twice()).to.deep.equal([]);
  });
});
