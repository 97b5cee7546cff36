/**
 * Idle connections for the memory workloads, in their own process: bare `ws` websockets that speak
 * just enough Engine.IO v4 / Socket.IO v5 to be real connected sockets on the server (open packet,
 * CONNECT to the main namespace, pong to every ping), at a fraction of socket.io-client's memory
 * and CPU, so that one process can hold ten thousand. Driven over IPC; exits with its parent.
 */
import WebSocket from "ws";
import type { IdleCommand, OpenResult } from "./protocol";
import { serveIpc } from "./serve-ipc";
import { nowMs } from "./stats";

let sockets: WebSocket[] = [];

/** One connection: resolves once the server confirmed the namespace CONNECT. */
function openOne(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, "ws")}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false });
    sockets.push(ws);
    let connected = false;
    const timer = setTimeout(() => fail(new Error(`no CONNECT within ${timeoutMs} ms`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      if (!connected) reject(err);
      ws.terminate();
    };
    ws.on("message", (data: Buffer) => {
      const text = data.toString();
      if (text === "2") ws.send("3"); // Engine.IO ping → pong, so the server keeps the connection
      else if (text.startsWith("0")) ws.send("40"); // open → CONNECT to "/"
      else if (text.startsWith("40") && !connected) {
        connected = true;
        clearTimeout(timer);
        resolve();
      } else if (text.startsWith("44")) fail(new Error(`CONNECT refused: ${text}`));
    });
    ws.on("error", fail);
    ws.on("close", () => fail(new Error("closed")));
  });
}

async function open(c: Extract<IdleCommand, { cmd: "open" }>): Promise<OpenResult> {
  const start = nowMs();
  let next = 0;
  let opened = 0;
  let failed = 0;
  let firstError: string | undefined;
  // a bounded number of handshakes at a time: thousands of SYNs at once overflow the listen backlog
  const lane = async () => {
    while (next < c.count) {
      const i = next++;
      try {
        await openOne(c.urls[i % c.urls.length], c.timeoutMs);
        opened++;
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(c.concurrency, c.count) }, lane));
  return { opened, failed, firstError, elapsedMs: nowMs() - start };
}

function disconnectAll(): void {
  for (const ws of sockets) ws.terminate();
  sockets = [];
}

serveIpc<IdleCommand>((req) => (req.cmd === "open" ? open(req) : disconnectAll()), disconnectAll);
