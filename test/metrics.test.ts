/**
 * Prometheus metrics of every role: scraped from `GET /metrics` after real traffic, parsed from
 * the text exposition format, and compared with what the nodes really hold.
 */
import { expect } from "chai";
import { Counter, Registry } from "prom-client";
import { createFrontend } from "../src/frontend-node/frontend-node";
import type { StatusReport } from "../src/frontend-node/status-report";
import { createIoNode, Server } from "../src";
import { ClientSocket, FAST, httpServer, redisUrl, request, startCluster, times, track, uniquePrefix, waitFor } from "./helpers";
import { runCli } from "./helpers/cli";

interface Family {
  help?: string;
  type?: string;
  samples: Array<{ labels: Record<string, string>; value: number }>;
}

/** Parses Prometheus' text exposition format (HELP, TYPE, samples with labels). */
function parseMetrics(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      if (meta[1] === "HELP") family(meta[2]).help = meta[3];
      else family(meta[2]).type = meta[3];
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!sample) throw new Error(`not a metrics line: ${line}`);
    const labels: Record<string, string> = {};
    for (const m of (sample[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    family(sample[1]).samples.push({ labels, value: Number(sample[3]) });
  }
  return families;
}

async function scrape(address: string | undefined): Promise<Map<string, Family>> {
  expect(address, "a metrics address").to.be.a("string");
  const res = await request(`http://${address}/metrics`);
  expect(res.status).to.equal(200);
  expect(res.headers["content-type"]).to.match(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(res.body);
}

/** The value of a metric for one node (its `node` label). */
function valueOf(families: Map<string, Family>, name: string, node: string): number {
  const sample = families.get(name)?.samples.find((s) => s.labels.node === node);
  if (!sample) throw new Error(`no ${name} for node ${node}`);
  return sample.value;
}

function expectWellFormed(families: Map<string, Family>): void {
  expect(families.size).to.be.greaterThan(10);
  for (const [name, f] of families) {
    expect(name).to.match(/^socket_io_cluster_/);
    expect(f.help, `HELP of ${name}`).to.be.a("string").and.not.equal("");
    expect(f.type, `TYPE of ${name}`).to.be.oneOf(["counter", "gauge"]);
  }
}

describe("metrics", () => {
  it("io-node, app-node and frontend serve Prometheus metrics that follow the traffic", async function () {
    this.timeout(20_000);
    const fx = await startCluster({
      ioNodes: 1,
      appNodes: 1,
      cluster: { metricsPort: 0, metrics: { host: "127.0.0.1" } },
      setup: (io) =>
        io.on("connection", (socket) => {
          socket.join("all");
          socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x));
          socket.on("shout", (x: unknown) => io.to("all").emit("heard", x));
        }),
    });
    const frontend = track(createFrontend({ port: 0, host: "127.0.0.1", redis: fx.redis, prefix: fx.prefix, ...FAST, metricsPort: 0 }), "frontend");
    await frontend.ready();
    const ioNode = fx.ioNodes[0];
    const app = fx.apps[0];

    const clients: ClientSocket[] = [];
    for (let i = 0; i < 3; i++) clients.push(await fx.connect(0));
    const echoes = 5;
    for (const c of clients) for (let i = 0; i < echoes; i++) expect(await c.emitWithAck("echo", i)).to.equal(i);
    const heard = Promise.all(clients.map((c) => new Promise((r) => c.once("heard", r))));
    clients[0].emit("shout", "hello");
    await heard;

    const io = await scrape(ioNode.metricsAddress());
    expectWellFormed(io);
    expect(valueOf(io, "socket_io_cluster_connections", ioNode.id)).to.equal(ioNode.connectionsCount).and.equal(3);
    // each client: a CONNECT and its echoes, one of them a shout
    expect(valueOf(io, "socket_io_cluster_packets_received_total", ioNode.id)).to.be.at.least(3 * (1 + echoes) + 1);
    // each client: its CONNECT reply, the acks, the broadcast
    expect(valueOf(io, "socket_io_cluster_packets_sent_total", ioNode.id)).to.be.at.least(3 * (1 + echoes + 1));
    expect(valueOf(io, "socket_io_cluster_bytes_received_total", ioNode.id)).to.be.greaterThan(0);
    expect(valueOf(io, "socket_io_cluster_bytes_sent_total", ioNode.id)).to.be.greaterThan(0);
    expect(valueOf(io, "socket_io_cluster_relay_batches_sent_total", ioNode.id)).to.be.greaterThan(0);
    expect(valueOf(io, "socket_io_cluster_relay_batch_bytes_sent_total", ioNode.id)).to.be.greaterThan(0);
    expect(valueOf(io, "socket_io_cluster_relay_queue_depth", ioNode.id)).to.be.at.least(0);
    expect(valueOf(io, "socket_io_cluster_rehomed_connections_total", ioNode.id)).to.equal(0);
    expect(valueOf(io, "socket_io_cluster_redis_errors_total", ioNode.id)).to.equal(0);
    const peers = io.get("socket_io_cluster_peer_heartbeat_age_seconds")!.samples;
    const appPeer = peers.find((s) => s.labels.peer === app.cluster.appNodeId);
    expect(appPeer?.labels.peer_role).to.equal("app");
    expect(appPeer!.value).to.be.at.least(0).and.below(FAST.nodeTimeout! / 1000);
    expect(io.get("socket_io_cluster_event_loop_lag_seconds")!.samples.map((s) => s.labels.stat)).to.have.members(["mean", "p99", "max"]);

    const appMetrics = await scrape(app.cluster.metricsAddress);
    expectWellFormed(appMetrics);
    expect(valueOf(appMetrics, "socket_io_cluster_connections", app.cluster.appNodeId)).to.equal(3);
    expect(valueOf(appMetrics, "socket_io_cluster_relay_batches_sent_total", app.cluster.appNodeId)).to.be.greaterThan(0);
    expect(valueOf(appMetrics, "socket_io_cluster_relay_duplicate_batches_total", app.cluster.appNodeId)).to.equal(0);

    const front = await scrape(frontend.metricsAddress());
    expectWellFormed(front);
    expect(front.get("socket_io_cluster_connections")!.samples[0].labels).to.deep.equal({ node: frontend.id, role: "frontend" });

    // the status page lists each node's metrics address
    const status = await waitFor(async () => {
      const report = JSON.parse((await request(`http://${frontend.address()}/status.json`)).body) as StatusReport;
      return report.nodes.io[0]?.metrics && report.nodes.app[0]?.metrics ? report : undefined;
    }, 5_000, "the status report to show metrics addresses");
    expect(status.nodes.io[0].metrics).to.equal(ioNode.metricsAddress());
    expect(status.nodes.app[0].metrics).to.equal(app.cluster.metricsAddress);
    expect(status.nodes.frontend[0].metrics).to.equal(frontend.metricsAddress());
    expect((await request(`http://${frontend.address()}/status`)).body).to.include('"/metrics"');

    // anything but GET /metrics is not found
    expect((await request(`http://${ioNode.metricsAddress()}/other`)).status).to.equal(404);
  });

  it("the registry option merges the metrics into the app's own prom-client Registry", async function () {
    this.timeout(20_000);
    const registry = new Registry();
    const own = new Counter({ name: "app_logins_total", help: "Logins.", registers: [registry] });
    own.inc(2);
    const fx = await startCluster({ ioNodes: 1, appNodes: 1, cluster: { metrics: { registry } } });
    await fx.connect(0);
    const families = parseMetrics(await registry.metrics());
    expect(families.get("app_logins_total")!.samples[0].value).to.equal(2);
    const connections = families.get("socket_io_cluster_connections")!.samples;
    expect(connections.map((s) => s.labels.role)).to.have.members(["io", "app"]);
    expect(connections.every((s) => s.value === 1)).to.equal(true);
    // no port asked for: no server
    expect(fx.ioNodes[0].metricsAddress()).to.equal(undefined);
  });

  it("counts the connections an io-node re-homes by rebalancing, and the sessions they recover", async function () {
    this.timeout(20_000);
    const registry = new Registry();
    const serverOptions = { connectionStateRecovery: { maxDisconnectionDuration: 60_000 } };
    const fx = await startCluster({ ioNodes: 1, appNodes: 1, serverOptions, cluster: { metrics: { registry } } });
    const N = 4;
    for (let i = 0; i < N; i++) await fx.connect(0);
    const ioNode = fx.ioNodes[0];
    const moved = times(ioNode, "moved", N / 2, 15_000);
    const second = track(new Server({ ...serverOptions, cluster: { redis: fx.redis, prefix: fx.prefix, ...FAST } }), "second app-node");
    await second.ready();
    await moved;
    const families = parseMetrics(await registry.metrics());
    expect(valueOf(families, "socket_io_cluster_rehomed_connections_total", ioNode.id)).to.equal(N / 2);
    await waitFor(async () => valueOf(parseMetrics(await registry.metrics()), "socket_io_cluster_recovered_sessions_total", ioNode.id) === N / 2, 5_000, "every moved session to be recovered");
  });

  it("nodes keep no metrics unless asked", async () => {
    const fx = await startCluster({ ioNodes: 1, appNodes: 1 });
    expect(fx.ioNodes[0].metricsAddress()).to.equal(undefined);
    expect(fx.apps[0].cluster.metricsAddress).to.equal(undefined);
  });

  it("a metrics port in use fails the node's ready()", async () => {
    const taken = await httpServer();
    const node = track(createIoNode({ port: 0, redis: redisUrl(), prefix: uniquePrefix("metrics"), ...FAST, metricsPort: taken.port }), "io-node");
    const err = await node.ready().then(() => undefined, (e: NodeJS.ErrnoException) => e);
    expect(err?.code).to.equal("EADDRINUSE");
  });

  it("io-node --metrics-port serves the metrics of a CLI io-node", async function () {
    this.timeout(20_000);
    const fx = await startCluster({ ioNodes: 0, appNodes: 1 });
    const help = runCli(["io-node", "--help"]);
    expect(await help.exited).to.equal(0);
    expect(help.out()).to.include("--metrics-port PORT");
    const cli = runCli(["io-node", "--port", "0", "--host", "127.0.0.1", "--redis", fx.redis, "--prefix", fx.prefix, "--metrics-port", "0"]);
    const address = await waitFor(() => /metrics +http:\/\/(\S+)\/metrics/.exec(cli.out())?.[1], 15_000, "the io-node to print its metrics address");
    const id = /io-node (\S+) listening/.exec(cli.out())![1];
    const families = await scrape(address);
    expectWellFormed(families);
    expect(valueOf(families, "socket_io_cluster_connections", id)).to.equal(0);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).to.equal(0);
  });

  it("frontend --metrics-port serves the metrics of a CLI frontend", async function () {
    this.timeout(20_000);
    const fx = await startCluster({ ioNodes: 1, appNodes: 0 });
    const cli = runCli(["frontend", "--port", "0", "--host", "127.0.0.1", "--redis", fx.redis, "--prefix", fx.prefix, "--metrics-port", "0"]);
    const address = await waitFor(() => /metrics +http:\/\/(\S+)\/metrics/.exec(cli.out())?.[1], 15_000, "the frontend to print its metrics address");
    const id = /frontend (\S+) listening/.exec(cli.out())![1];
    const families = await scrape(address);
    expectWellFormed(families);
    expect(families.get("socket_io_cluster_connections")!.samples.map((s) => s.labels)).to.deep.equal([{ node: id, role: "frontend" }]);
    cli.child.kill("SIGTERM");
    expect(await cli.exited).to.equal(0);
  });
});
