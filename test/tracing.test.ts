/**
 * `DEBUG=socket.io-cluster:*` traces a client packet along its path, as `DEBUG=socket.io:*` does
 * for plain Socket.IO: into the io-node, out in a relay batch and into the app-node, then the
 * app-node's write back and out of the io-node, each line with the connection id, the packet type
 * and its size. The `debug` package is enabled in-process and its output captured.
 */
import { expect } from "chai";
import { format } from "util";
import createDebug from "debug";
import { Server } from "../src";
import type { ClusterOptions } from "../src";
import { connect, FAST, httpServer, onCleanup, redisUrl, startCluster, track, uniquePrefix } from "./helpers";

/** Turns on `socket.io-cluster:*` and collects its lines (colours stripped) until the test ends. */
function captureTrace(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const previousLog = createDebug.log;
  const previous = createDebug.disable();
  createDebug.log = (...args: unknown[]) => {
    lines.push(format(...args).replace(/\x1b\[[0-9;]*m/g, ""));
  };
  createDebug.enable("socket.io-cluster:*");
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    createDebug.disable();
    if (previous) createDebug.enable(previous);
    createDebug.log = previousLog;
  };
  onCleanup(stop, "debug capture");
  return { lines, stop };
}

function app(io: Server): void {
  io.on("connection", (socket) => socket.on("echo", (x: unknown, cb: (y: unknown) => void) => cb(x)));
}

/**
 * Finds each pattern in turn, each after the line of the one before; returns the lines found.
 * A pattern missing (or out of order) fails with the captured trace in the message.
 */
function inOrder(lines: string[], patterns: RegExp[]): string[] {
  const found: string[] = [];
  let from = 0;
  for (const p of patterns) {
    const i = lines.findIndex((line, n) => n >= from && p.test(line));
    expect(i, `${p} after line ${from} in:\n${lines.join("\n")}`).to.not.equal(-1);
    found.push(lines[i]);
    from = i + 1;
  }
  return found;
}

const size = (line: string) => Number(/ (\d+)B\b/.exec(line)?.[1]);

describe("tracing the packet path (DEBUG=socket.io-cluster:*)", () => {
  for (const directLinks of [false, true]) {
    it(`io-node and app-node apart (${directLinks ? "direct links" : "Redis streams"}): in, batch out and in, app-node in, write, batch back, out`, async () => {
      const fx = await startCluster({ ioNodes: 1, appNodes: 1, cluster: { directLinks }, setup: app });
      const ioId = fx.ioNodes[0].id;
      const appId = fx.apps[0].cluster.appNodeId;
      const client = await connect(fx.urls[0]);
      const conn = client.io.engine.id;
      const trace = captureTrace();
      expect(await client.emitWithAck("echo", "trace me")).to.equal("trace me");
      trace.stop();
      const lines = inOrder(trace.lines, [
        new RegExp(`socket\\.io-cluster:io-node:packet in ${conn} message/EVENT \\d+B → ${appId}$`),
        new RegExp(`socket\\.io-cluster:relay:batch out ${ioId} → ${appId} batch \\d+ \\(epoch \\d+\\) \\d+B: .*DATA ${conn} message/EVENT \\d+B`),
        new RegExp(`socket\\.io-cluster:relay:batch in ${ioId} → ${appId} batch \\d+ \\(epoch \\d+\\) \\d+B: .*DATA ${conn} message/EVENT \\d+B`),
        new RegExp(`socket\\.io-cluster:app-node:packet in ${conn} message/EVENT \\d+B from ${ioId}`),
        new RegExp(`socket\\.io-cluster:app-node:packet write ${conn} message/ACK \\d+B → ${ioId}$`),
        new RegExp(`socket\\.io-cluster:relay:batch out ${appId} → ${ioId} batch .*WRITE ${conn} message/ACK \\d+B`),
        new RegExp(`socket\\.io-cluster:relay:batch in ${appId} → ${ioId} batch .*WRITE ${conn} message/ACK \\d+B`),
        new RegExp(`socket\\.io-cluster:io-node:packet out ${conn} message/ACK \\d+B`),
      ]);
      // the packet keeps its size along the way, each way
      expect(size(lines[0])).to.be.greaterThan(0);
      expect(size(lines[3])).to.equal(size(lines[0]));
      expect(size(lines[7])).to.equal(size(lines[4])).and.to.be.greaterThan(0);
    });
  }

  it("co-located fast path: in, app-node in, write, out, by function call (no batch)", async () => {
    const { server, url } = await httpServer();
    const cluster: ClusterOptions = { redis: redisUrl(), prefix: uniquePrefix("trace"), ...FAST };
    const io = track(new Server(server, { cluster }), "co-located server");
    app(io);
    await io.ready();
    const client = await connect(url);
    const conn = client.io.engine.id;
    const trace = captureTrace();
    expect(await client.emitWithAck("echo", "fast")).to.equal("fast");
    trace.stop();
    const lines = inOrder(trace.lines, [
      new RegExp(`socket\\.io-cluster:io-node:packet in ${conn} message/EVENT \\d+B → ${io.cluster.appNodeId} \\(in process\\)`),
      new RegExp(`socket\\.io-cluster:app-node:packet in ${conn} message/EVENT \\d+B from ${io.cluster.ioNodeId}`),
      new RegExp(`socket\\.io-cluster:app-node:packet write ${conn} message/ACK \\d+B → ${io.cluster.ioNodeId} \\(in process\\)`),
      new RegExp(`socket\\.io-cluster:io-node:packet out ${conn} message/ACK \\d+B`),
    ]);
    expect(size(lines[1])).to.equal(size(lines[0]));
    expect(size(lines[3])).to.equal(size(lines[2]));
    expect(trace.lines.filter((l) => l.includes(`DATA ${conn}`)), "no relay batch carries the packet").to.deep.equal([]);
  });

  it("prints nothing when the namespaces are off", async () => {
    const fx = await startCluster({ ioNodes: 1, appNodes: 1, setup: app });
    const client = await connect(fx.urls[0]);
    const trace = captureTrace();
    createDebug.disable();
    expect(await client.emitWithAck("echo", "quiet")).to.equal("quiet");
    expect(trace.lines).to.deep.equal([]);
  });
});
