/**
 * The load clients of the bench, in their own process: socket.io-client over websocket, driven by
 * the bench through IPC (see protocol.ts, child.ts). Exits with its parent.
 */
import { io as connect, Socket } from "socket.io-client";
import { EVENTS, ClientCommand as Command, ConnectResult, EchoResult, ListenResult, PayloadKind } from "./protocol";
import { send, serveIpc } from "./serve-ipc";
import { nowMs, Samples } from "./stats";

let sockets: Socket[] = [];

/** The echo payload: small JSON with padding, or a binary buffer (sent as a Socket.IO attachment). */
function makePayload(kind: PayloadKind): { t: number; pad: string } | Buffer {
  return kind.type === "binary" ? Buffer.alloc(kind.bytes, 7) : { t: 0, pad: "x".repeat(kind.bytes) };
}

function connectAll(c: Extract<Command, { cmd: "connect" }>): Promise<ConnectResult> {
  return new Promise((resolve) => {
    const samples: number[] = [];
    let connected = 0;
    let failed = 0;
    let firstError: string | undefined;
    let last = 0;
    const start = nowMs();
    const settle = () => {
      if (connected + failed < c.count) return;
      resolve({ connected, failed, firstError, elapsedMs: last - start, samples });
    };
    for (let i = 0; i < c.count; i++) {
      const socket = connect(c.urls[i % c.urls.length], {
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
        timeout: c.timeoutMs,
      });
      sockets.push(socket);
      socket.once("connect", () => {
        last = nowMs();
        samples.push(last - start);
        connected++;
        settle();
      });
      socket.once("connect_error", (err: Error) => {
        firstError ??= err.message;
        failed++;
        settle();
      });
    }
  });
}

function echo(c: Extract<Command, { cmd: "echo" }>): Promise<EchoResult> {
  const payload = makePayload(c.payload);
  const latency = new Samples();
  let completed = 0;
  let inFlight = 0;
  let capped = false;
  let last = 0;
  const start = nowMs();
  const loops = sockets.map(
    (socket) =>
      new Promise<void>((resolve) => {
        let n = 0;
        const next = () => {
          if (n >= c.rounds) return resolve();
          if (nowMs() - start > c.maxMs) {
            capped = true;
            return resolve();
          }
          n++;
          inFlight++;
          const t0 = nowMs();
          socket.emit(EVENTS.echo, payload, () => {
            last = nowMs();
            inFlight--;
            completed++;
            latency.push(last - t0);
            next();
          });
        };
        next();
      }),
  );
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      resolve({ completed, elapsedMs: last - start, capped, lost: inFlight, latency: latency.summary() });
    };
    const timer = setTimeout(finish, c.maxMs + c.graceMs);
    void Promise.all(loops).then(finish);
  });
}

/**
 * Open loop at a fixed total rate: every millisecond or so, the round trips that are due by now are
 * sent (round robin over the clients) whether or not earlier ones came back; latency is from the
 * emit to the ack.
 */
function fixedRate(c: Extract<Command, { cmd: "fixed-rate" }>): Promise<EchoResult> {
  const payload = makePayload(c.payload);
  const latency = new Samples();
  const total = Math.round((c.rate * c.durationMs) / 1000);
  let sent = 0;
  let completed = 0;
  let last = 0;
  const start = nowMs();
  return new Promise((resolve) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(graceTimer);
      resolve({ completed, elapsedMs: last - start, capped: false, lost: sent - completed, latency: latency.summary() });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((nowMs() - start) * c.rate) / 1000));
      while (sent < due && sockets.length > 0) {
        const socket = sockets[sent++ % sockets.length];
        const t0 = nowMs();
        socket.emit(EVENTS.echo, payload, () => {
          last = nowMs();
          completed++;
          latency.push(last - t0);
          if (completed === total) finish();
        });
      }
      if (sent < total) setTimeout(tick, 1);
      else graceTimer = setTimeout(finish, c.graceMs);
    };
    if (sockets.length === 0 || total === 0) finish();
    else tick();
  });
}

function join(c: Extract<Command, { cmd: "join" }>): Promise<number> {
  return Promise.all(
    sockets.map((socket) => socket.timeout(c.timeoutMs).emitWithAck(EVENTS.join)),
  ).then((r) => r.length);
}

/** Broadcast deliveries, counted while a `listen` is on. */
let listening:
  | { latency: Samples; received: number; lastAt: number; perBatch: Map<number, number>; batchTotal: number; onDone?: () => void; expected: number }
  | undefined;

function onBroadcast(msg: { b: number; t: number }): void {
  const l = listening;
  if (!l) return;
  const at = nowMs();
  l.latency.push(at - msg.t);
  l.received++;
  l.lastAt = at;
  const n = (l.perBatch.get(msg.b) ?? 0) + 1;
  if (n === l.batchTotal) {
    l.perBatch.delete(msg.b);
    send({ event: "batch", batch: msg.b });
  } else {
    l.perBatch.set(msg.b, n);
  }
  if (l.received >= l.expected) l.onDone?.();
}

function listen(c: Extract<Command, { cmd: "listen" }>): void {
  listening = {
    latency: new Samples(),
    received: 0,
    lastAt: 0,
    perBatch: new Map(),
    batchTotal: c.batchSize * sockets.length,
    expected: Infinity,
  };
  for (const socket of sockets) socket.on(EVENTS.broadcast, onBroadcast);
}

function unlisten(c: Extract<Command, { cmd: "unlisten" }>): Promise<ListenResult> {
  const l = listening!;
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      listening = undefined;
      for (const socket of sockets) socket.off(EVENTS.broadcast, onBroadcast);
      resolve({ received: l.received, lastAt: l.lastAt, latency: l.latency.summary() });
    };
    const timer = setTimeout(finish, c.graceMs);
    l.expected = c.expected;
    l.onDone = finish;
    if (l.received >= c.expected) finish();
  });
}

function disconnectAll(): void {
  for (const socket of sockets) socket.disconnect();
  sockets = [];
}

function handle(req: Command): unknown {
  switch (req.cmd) {
    case "connect":
      return connectAll(req);
    case "echo":
      return echo(req);
    case "fixed-rate":
      return fixedRate(req);
    case "join":
      return join(req);
    case "listen":
      return listen(req);
    case "unlisten":
      return unlisten(req);
    case "disconnect":
      return disconnectAll();
  }
}

serveIpc<Command>(handle, disconnectAll);
