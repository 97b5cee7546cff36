/**
 * The Socket.IO protocol (v5) over Engine.IO (v4), as a black box: raw HTTP long-polling requests
 * and a raw WebSocket against one io-node (`ctx.url(0)`, so one session stays on one io-node).
 *
 * This file also exports the raw helpers used by the other scenario files of this author
 * (http.ts, transports.ts).
 */
import { request } from "http";
import WebSocket from "ws";
import type { Server as SocketIOServer, Socket as ServerSocket } from "socket.io";
import { holds } from "../../test/helpers/wait";
import { scenarios, Shared } from "../scenario";

// ---------------------------------------------------------------------------------------------
// raw helpers
// ---------------------------------------------------------------------------------------------

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * One HTTP request on a fresh TCP connection. Resolves with "no response" when the server does
 * not answer within `timeoutMs`.
 */
export function httpRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<HttpResult | "no response"> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? "GET", headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve("no response");
    }, opts.timeoutMs ?? 3_000);
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

/** Status and body (as text, JSON when it parses) of a response. */
export function statusAndBody(res: HttpResult | "no response"): unknown {
  if (res === "no response") return res;
  const text = res.body.toString();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text
  }
  return { status: res.status, body };
}

export function engineUrl(base: string, query: string, path = "/socket.io/"): string {
  return `${base}${path}?${query}`;
}

/** An Engine.IO v4 long-polling session driven by hand. */
export class RawPolling {
  private constructor(
    readonly base: string,
    readonly sid: string,
    readonly handshake: Record<string, unknown>,
    readonly path: string,
  ) {}

  static async open(base: string, path = "/socket.io/"): Promise<RawPolling> {
    const res = await httpRequest(engineUrl(base, "EIO=4&transport=polling", path));
    if (res === "no response" || res.status !== 200) throw new Error(`polling handshake failed: ${JSON.stringify(statusAndBody(res))}`);
    const text = res.body.toString();
    const handshake = JSON.parse(text.slice(1)) as Record<string, unknown>;
    return new RawPolling(base, String(handshake.sid), handshake, path);
  }

  get url(): string {
    return engineUrl(this.base, `EIO=4&transport=polling&sid=${encodeURIComponent(this.sid)}`, this.path);
  }

  /** One GET: the Engine.IO packets of the payload (or the status and body when it is not a 200). */
  async get(timeoutMs = 3_000): Promise<string[] | unknown> {
    const res = await httpRequest(this.url, { timeoutMs });
    if (res === "no response") return res;
    if (res.status !== 200) return statusAndBody(res);
    return res.body.toString().split("\x1e");
  }

  /** GETs until `n` packets were received (or a GET does not return 200). */
  async getPackets(n: number, timeoutMs = 3_000): Promise<unknown[]> {
    const out: unknown[] = [];
    while (out.length < n) {
      const r = await this.get(timeoutMs);
      if (!Array.isArray(r)) {
        out.push(r);
        break;
      }
      out.push(...r);
    }
    return out;
  }

  async post(packets: string[]): Promise<unknown> {
    const res = await httpRequest(this.url, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body: packets.join("\x1e"),
    });
    return statusAndBody(res);
  }
}

/** A raw WebSocket that queues what it receives. */
export class RawWs {
  readonly ws: WebSocket;
  private readonly queue: Array<string | Buffer> = [];
  private wake?: () => void;
  closeInfo?: { code: number; reason: string };
  /** Status and body when the server refused the upgrade. */
  refused?: { status: number; body: unknown };
  error?: string;
  readonly opened: Promise<boolean>;

  constructor(url: string, headers?: Record<string, string>) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false });
    this.ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.queue.push(isBinary ? Buffer.from(data) : data.toString());
      this.notify();
    });
    this.ws.on("close", (code: number, reason: Buffer) => {
      this.closeInfo = { code, reason: reason.toString() };
      this.notify();
    });
    this.opened = new Promise((resolve) => {
      this.ws.once("open", () => resolve(true));
      this.ws.on("error", (err) => {
        this.error ??= err.message;
        resolve(false);
        this.notify();
      });
      this.ws.once("unexpected-response", (_req, res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          this.refused = statusAndBody({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }) as {
            status: number;
            body: unknown;
          };
          resolve(false);
          this.notify();
        });
        res.on("error", () => resolve(false));
      });
    });
  }

  private notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined || this.ws.readyState === WebSocket.CLOSED;
  }

  /** The next message, or "closed" / "timeout". */
  async next(timeoutMs = 3_000): Promise<string | Buffer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.queue.length) return this.queue.shift()!;
      if (this.isClosed) return "closed";
      const left = deadline - Date.now();
      if (left <= 0) return "timeout";
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Messages until `stop` matches one (included), the socket closes, or `timeoutMs` passes. */
  async collect(stop: (m: string | Buffer) => boolean, timeoutMs = 2_000): Promise<Array<string | Buffer>> {
    const out: Array<string | Buffer> = [];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await this.next(Math.max(0, deadline - Date.now()));
      if (m === "closed" || m === "timeout") {
        out.push(m);
        return out;
      }
      out.push(m);
      if (stop(m)) return out;
    }
  }

  /** Resolves with the close code, or "open" when it is still open after `timeoutMs`. */
  async closed(timeoutMs = 2_000): Promise<number | "open"> {
    await until(() => this.isClosed, timeoutMs);
    return this.closeInfo?.code ?? (this.isClosed ? -1 : "open");
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close();
  }
}

/** Opens a raw Engine.IO WebSocket session and reads its handshake. */
export async function wsSession(base: string, path = "/socket.io/"): Promise<{ ws: RawWs; handshake: Record<string, unknown> }> {
  const ws = new RawWs(engineUrl(base.replace(/^http/, "ws"), "EIO=4&transport=websocket", path));
  if (!(await ws.opened)) throw new Error(`websocket did not open: ${ws.error ?? JSON.stringify(ws.refused)}`);
  const first = await ws.next();
  if (typeof first !== "string" || first[0] !== "0") throw new Error(`unexpected first message ${String(first)}`);
  return { ws, handshake: JSON.parse(first.slice(1)) as Record<string, unknown> };
}

/**
 * What a raw WebSocket to `url` gets: refused (status, body), or opened with its first message
 * (masked) and whether the server then closes it.
 */
export async function wsOutcome(url: string): Promise<unknown> {
  const ws = new RawWs(url);
  try {
    const opened = await ws.opened;
    if (!opened) return { opened, refused: ws.refused, error: ws.refused ? undefined : ws.error };
    const first = await ws.next(1_000);
    const m = typeof first === "string" && first[0] === "0" ? handshakeShape(JSON.parse(first.slice(1))) : first;
    return { opened, first: m, close: await ws.closed(500) };
  } finally {
    ws.close();
  }
}

/** A handshake without its session id: its keys and the values that are the same everywhere. */
export function handshakeShape(h: Record<string, unknown>): unknown {
  const { sid, ...rest } = h;
  return { keys: Object.keys(h).sort(), sid: typeof sid, ...rest };
}

/** A packet with its session ids masked: `40{"sid":"<sid>"}`. */
export function maskIds(p: unknown): unknown {
  if (typeof p !== "string") return p;
  return p.replace(/"sid":"[^"]*"/g, '"sid":"<sid>"').replace(/"pid":"[^"]*"/g, '"pid":"<pid>"');
}

/**
 * Whether `check()` holds within `timeoutMs` (a timeout is an outcome to compare between targets,
 * not an error).
 */
export function until(check: () => boolean, timeoutMs = 3_000): Promise<boolean> {
  return holds(check, { timeout: timeoutMs });
}

/** `shared[key]` as an array, created once (setup runs on every app-node with the same `shared`). */
export function list(shared: Shared, key: string): unknown[] {
  return (shared[key] ??= []) as unknown[];
}

// ---------------------------------------------------------------------------------------------
// server side used by most wire scenarios
// ---------------------------------------------------------------------------------------------

/** Records what the server sees of each socket in `shared.log`, answers "ping" acks. */
function recordingServer(io: SocketIOServer, shared: Shared): void {
  const log = list(shared, "log");
  const wire = (nsp: string) => (socket: ServerSocket) => {
    log.push(`${nsp} connection auth=${JSON.stringify(socket.handshake.auth)}`);
    socket.on("error", (err: Error) => log.push(`${nsp} error: ${err.message}`));
    socket.on("disconnect", (reason: string) => log.push(`${nsp} disconnect: ${reason}`));
    socket.on("ping", (ack?: (s: string) => void) => ack?.("pong"));
    socket.on("ev", (...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (...a: unknown[]) => void) : undefined;
      log.push({ [`${nsp} ev`]: args });
      ack?.("got", ...args);
    });
  };
  io.on("connection", wire("/"));
  io.of("/nsp").on("connection", wire("/nsp"));
}

/**
 * An invalid input after a connect to "/": what the raw client receives afterwards (a liveness
 * probe `421["ping"]` follows the input), whether the connection is closed, and what the server saw.
 */
function invalidInput(name: string, inputs: Array<string | Buffer>, opts: { joinNsp?: boolean } = {}) {
  return {
    name: `invalid input: ${name}`,
    setup: recordingServer,
    async run(ctx: { url(n?: number): string; shared: Shared }) {
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send("40");
        const connected = [maskIds(await ws.next())];
        if (opts.joinNsp) {
          ws.send("40/nsp,");
          connected.push(maskIds(await ws.next()));
        }
        await until(() => list(ctx.shared, "log").length >= connected.length);
        for (const input of inputs) ws.send(input);
        ws.send('421["ping"]');
        const after = (await ws.collect((m) => m === '431["pong"]', 2_000)).map(maskIds);
        const close = await ws.closed(500);
        const closedByServer = close !== "open";
        // the server's view needs time to be recorded when the connection was closed
        if (closedByServer) await until(() => list(ctx.shared, "log").some((l) => typeof l === "string" && l.includes("disconnect")));
        return { connected, after, close, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  };
}

/**
 * A client that breaks the protocol from its first packets (sent at once, before any reply): what it
 * receives, whether the server closes the connection, and what the server saw. Socket.IO closes the
 * whole connection on any of these; a session must not stay half open.
 */
function firstPackets(name: string, packets: string[], transport: "websocket" | "polling" = "websocket") {
  return {
    name: `protocol violation: ${name}`,
    setup: recordingServer,
    async run(ctx: { url(n?: number): string; shared: Shared }) {
      const disconnected = () => list(ctx.shared, "log").some((l) => typeof l === "string" && l.includes("disconnect"));
      if (transport === "polling") {
        const p = await RawPolling.open(ctx.url(0));
        const post = await p.post(packets);
        // the server's answers, until it closes the session (a GET then fails) or sends nothing more
        const got: unknown[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await p.get(1_500);
          // a noop ("6") only fills a GET that waited while the session closed: when the close lands is timing
        if (Array.isArray(r)) got.push(...r.filter((m) => m !== "6").map(maskIds));
          else {
            got.push(r);
            break;
          }
        }
        await until(disconnected, 1_000);
        return { post, got, log: ctx.shared.log };
      }
      const { ws } = await wsSession(ctx.url(0));
      try {
        for (const p of packets) ws.send(p);
        ws.send('421["ping"]');
        const after = (await ws.collect((m) => m === '431["pong"]', 2_000)).map(maskIds);
        const close = await ws.closed(1_000);
        if (close !== "open") await until(disconnected, 1_000);
        return { after, close, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  };
}

export default scenarios("wire", [
  {
    name: "polling handshake response",
    async run(ctx) {
      const res = await httpRequest(engineUrl(ctx.url(0), "EIO=4&transport=polling"));
      if (res === "no response") return res;
      const text = res.body.toString();
      return {
        status: res.status,
        contentType: res.headers["content-type"],
        type: text[0],
        handshake: handshakeShape(JSON.parse(text.slice(1))),
      };
    },
  },
  {
    name: "websocket handshake message, with custom heartbeat and payload options",
    serverOptions: { pingInterval: 4_000, pingTimeout: 3_000, maxHttpBufferSize: 5_000 },
    async run(ctx) {
      const { ws, handshake } = await wsSession(ctx.url(0));
      ws.close();
      return handshakeShape(handshake);
    },
  },
  {
    name: "ping/pong: the server pings, the client pongs; no pong closes with ping timeout",
    serverOptions: { pingInterval: 200, pingTimeout: 300 },
    setup: recordingServer,
    timeout: 15_000,
    async run(ctx) {
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send("40");
        const seen: unknown[] = [maskIds(await ws.next())];
        for (let i = 0; i < 2; i++) {
          const m = await ws.next(2_000);
          seen.push(m);
          if (m === "2") ws.send("3");
        }
        // stop answering
        seen.push(await ws.next(2_000));
        seen.push(await ws.next(3_000));
        const close = await ws.closed(3_000);
        await until(() => list(ctx.shared, "log").length >= 2);
        return { seen, close, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  {
    name: "CONNECT to /, to /nsp, to an unknown namespace, with auth",
    setup: recordingServer,
    async run(ctx) {
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send('40{"token":"abc"}');
        const main = maskIds(await ws.next());
        ws.send("40/nsp,");
        const nsp = maskIds(await ws.next());
        ws.send("40/nope,");
        const unknown = maskIds(await ws.next());
        ws.send('40/nsp2,{"x":1}');
        const unknown2 = maskIds(await ws.next());
        await until(() => list(ctx.shared, "log").length >= 2);
        return { main, nsp, unknown, unknown2, open: !ws.isClosed, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  {
    name: "EVENT and ACK both ways over a raw websocket",
    setup(io, shared) {
      recordingServer(io, shared);
      io.on("connection", (socket) => {
        socket.on("ask-me", () => {
          socket.emit("question", "q?", (answer: unknown) => {
            list(shared, "log").push({ answer });
            socket.emit("done", answer);
          });
        });
      });
    },
    async run(ctx) {
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send("40");
        const seen: unknown[] = [maskIds(await ws.next())];
        ws.send('42["ev",1,{"a":"b"},[true,null]]');
        ws.send('4212["ev","with ack"]');
        seen.push(await ws.next());
        ws.send('42["ask-me"]');
        const question = await ws.next();
        seen.push(question);
        const id = typeof question === "string" ? /^42(\d*)/.exec(question)?.[1] : undefined;
        ws.send(`43${id}["the answer"]`);
        seen.push(await ws.next());
        return { seen, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  {
    name: "EVENT and ACK on a namespace",
    setup: recordingServer,
    async run(ctx) {
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send("40/nsp,");
        const seen: unknown[] = [maskIds(await ws.next())];
        ws.send('42/nsp,["ev","n"]');
        ws.send('42/nsp,7["ev","n2"]');
        seen.push(await ws.next());
        return { seen, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  {
    name: "BINARY_EVENT and BINARY_ACK with attachments over a raw websocket",
    setup(io, shared) {
      const log = list(shared, "log");
      io.on("connection", (socket) => {
        socket.on("bin", (...args: unknown[]) => {
          const ack = typeof args[args.length - 1] === "function" ? (args.pop() as (...a: unknown[]) => void) : undefined;
          log.push({ bin: args.map((a) => (Buffer.isBuffer(a) ? `buffer:${a.toString("hex")}` : a)) });
          if (ack) ack(Buffer.from([9, 8]), "ok");
          else socket.emit("bin-back", { nested: Buffer.from([7, 6, 5]) }, Buffer.from([4]));
        });
      });
    },
    async run(ctx) {
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send("40");
        const seen: unknown[] = [maskIds(await ws.next())];
        ws.send('451-["bin",{"_placeholder":true,"num":0},"x"]');
        ws.send(Buffer.from([1, 2, 3]));
        for (let i = 0; i < 3; i++) seen.push(await ws.next());
        ws.send('452-3["bin",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]');
        ws.send(Buffer.from([10]));
        ws.send(Buffer.from([11, 12]));
        for (let i = 0; i < 2; i++) seen.push(await ws.next());
        return { seen, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  {
    name: "DISCONNECT packets: leaving /nsp keeps the connection, then leaving /",
    setup: recordingServer,
    async run(ctx) {
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send("40");
        ws.send("40/nsp,");
        const seen: unknown[] = [maskIds(await ws.next()), maskIds(await ws.next())];
        ws.send("41/nsp,");
        ws.send('421["ping"]');
        seen.push(await ws.next());
        ws.send("41");
        await until(() => list(ctx.shared, "log").filter((l) => String(l).includes("disconnect")).length >= 2);
        // the connection itself: still open? (a later packet for "/" is then an invalid state)
        const openAfterLeavingAll = !ws.isClosed;
        ws.send("40");
        seen.push(maskIds(await ws.next()));
        return { seen, openAfterLeavingAll, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  invalidInput("garbage Engine.IO packet", ["xyz"]),
  invalidInput("empty websocket message", [""]),
  invalidInput("garbage Socket.IO packet", ["4xyz"]),
  invalidInput("bad JSON in an EVENT", ['42["ev",']),
  invalidInput("EVENT whose payload is not an array", ['42{"ev":1}']),
  invalidInput("unknown Socket.IO packet type", ['49["ev"]']),
  invalidInput("EVENT to a namespace not joined", ['42/nsp,["ev","x"]']),
  invalidInput("EVENT to a namespace that does not exist", ['42/nope,["ev","x"]']),
  invalidInput("second CONNECT to a joined namespace", ["40"]),
  invalidInput("binary frame without a BINARY_EVENT", [Buffer.from([1, 2, 3])]),
  invalidInput("client sends an Engine.IO ping", ["2"]),
  invalidInput("EVENT named with a reserved name", ['42["disconnect","x"]']),
  firstPackets("two CONNECT packets to / at once", ["40", "40"]),
  firstPackets("three CONNECT packets to /nsp at once", ["40/nsp,", "40/nsp,", "40/nsp,"]),
  firstPackets("EVENT before any CONNECT", ['42["ev","early"]', "40"]),
  firstPackets("EVENT to /nsp before its CONNECT", ["40", '42/nsp,["ev","early"]', "40/nsp,"]),
  firstPackets("garbage Socket.IO packet before any CONNECT", ["4xyz", "40"]),
  firstPackets("CONNECT_ERROR packet from the client", ["40", "44"]),
  firstPackets("CONNECT then an invalid packet at once", ["40", '42["ev",']),
  firstPackets("EVENT before any CONNECT over long-polling", ['42["ev","early"]', "40"], "polling"),
  firstPackets("two CONNECT packets to / over long-polling", ["40", "40"], "polling"),
  firstPackets("CONNECT with bad JSON auth", ["40{bad", "40"]),
  firstPackets("CONNECT whose auth is not an object", ['40[1,2]', "40"]),
  firstPackets("EVENT after leaving /", ["40", "41", '42["ev","late"]']),
  firstPackets("text packet where a binary attachment is due", ["40", '451-["bin",{"_placeholder":true,"num":0}]', '42["ev","x"]']),
  firstPackets("invalid packet over long-polling", ["40", "4xyz"], "polling"),
  firstPackets("CONNECT to /nsp twice over long-polling", ["40/nsp,", "40/nsp,"], "polling"),
  {
    name: "Engine.IO close packet over websocket",
    setup: recordingServer,
    async run(ctx) {
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send("40");
        const connected = maskIds(await ws.next());
        ws.send("1");
        ws.send('421["ping"]');
        const after = (await ws.collect((m) => m === '431["pong"]', 2_000)).map(maskIds);
        const close = await ws.closed(300);
        if (close !== "open") await until(() => list(ctx.shared, "log").length >= 2, 1_500);
        return { connected, after, close, log: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  {
    name: "long-polling session: CONNECT, EVENT, ACK, binary, close packet",
    setup(io, shared) {
      recordingServer(io, shared);
      io.on("connection", (socket) => {
        socket.on("bin", (b: Buffer) => list(shared, "log").push(`bin ${Buffer.isBuffer(b) ? b.toString("hex") : typeof b}`));
        socket.on("two", () => {
          socket.emit("one", 1);
          socket.emit("bytes", Buffer.from([1, 2]));
        });
      });
    },
    async run(ctx) {
      const p = await RawPolling.open(ctx.url(0));
      const seen: unknown[] = [handshakeShape(p.handshake)];
      seen.push(await p.post(["40"]));
      seen.push(...(await p.getPackets(1)).map(maskIds));
      seen.push(await p.post(['42["ev","p"]', '423["ev","acked"]']));
      seen.push(...(await p.getPackets(1)));
      seen.push(await p.post(['451-["bin",{"_placeholder":true,"num":0}]', "bAQID"]));
      seen.push(await p.post(['42["two"]']));
      seen.push(...(await p.getPackets(3)));
      await until(() => list(ctx.shared, "log").length >= 4);
      seen.push(await p.post(["1"]));
      await until(() => list(ctx.shared, "log").some((l) => String(l).includes("disconnect")));
      seen.push(await p.get());
      return { seen, log: ctx.shared.log };
    },
  },
  {
    name: "two concurrent polling GETs on one session",
    setup: recordingServer,
    async run(ctx) {
      const p = await RawPolling.open(ctx.url(0));
      await p.post(["40"]);
      const connected = (await p.getPackets(1)).map(maskIds);
      const both = await Promise.all([p.get(), p.get()]);
      await until(() => list(ctx.shared, "log").some((l) => String(l).includes("disconnect")));
      const after = await p.get();
      return { connected, both: both.map((b) => JSON.stringify(b)).sort(), after, log: ctx.shared.log };
    },
  },
  {
    name: "payloads above maxHttpBufferSize on polling and websocket",
    serverOptions: { maxHttpBufferSize: 100 },
    setup: recordingServer,
    async run(ctx) {
      const big = `42["ev","${"x".repeat(200)}"]`;
      const p = await RawPolling.open(ctx.url(0));
      await p.post(["40"]);
      const pollingConnected = (await p.getPackets(1)).map(maskIds);
      const post = await p.post([big]);
      // is the session still usable?
      const probe = await p.post(['421["ping"]']);
      const pollingAfter = await p.getPackets(1);
      const pollingLog = [...list(ctx.shared, "log")];
      list(ctx.shared, "log").length = 0;
      const { ws } = await wsSession(ctx.url(0));
      try {
        ws.send("40");
        const wsConnected = maskIds(await ws.next());
        ws.send(big);
        const after = await ws.next(2_000);
        const close = await ws.closed(2_000);
        await until(() => list(ctx.shared, "log").some((l) => String(l).includes("disconnect")));
        return { pollingConnected, post, probe, pollingAfter, pollingLog, wsConnected, after, close, wsLog: ctx.shared.log };
      } finally {
        ws.close();
      }
    },
  },
  {
    name: "unknown sid on polling GET and POST, and on websocket",
    async run(ctx) {
      const base = ctx.url(0);
      const get = statusAndBody(await httpRequest(engineUrl(base, "EIO=4&transport=polling&sid=nope")));
      const post = statusAndBody(
        await httpRequest(engineUrl(base, "EIO=4&transport=polling&sid=nope"), { method: "POST", body: '42["x"]' }),
      );
      const ws = await wsOutcome(engineUrl(base.replace(/^http/, "ws"), "EIO=4&transport=websocket&sid=nope"));
      return { get, post, ws };
    },
  },
  {
    name: "unsupported protocol version and missing EIO",
    async run(ctx) {
      const base = ctx.url(0);
      const out: Record<string, unknown> = {};
      for (const q of ["EIO=3&transport=polling", "EIO=5&transport=polling", "transport=polling", "EIO=abc&transport=polling"]) {
        out[q] = statusAndBody(await httpRequest(engineUrl(base, q)));
      }
      out.ws = await wsOutcome(engineUrl(base.replace(/^http/, "ws"), "EIO=3&transport=websocket"));
      return out;
    },
  },
  {
    name: "unknown or missing transport, bad handshake method",
    async run(ctx) {
      const base = ctx.url(0);
      const out: Record<string, unknown> = {};
      for (const q of ["EIO=4&transport=foo", "EIO=4", "EIO=4&transport=websocket"]) {
        out[q] = statusAndBody(await httpRequest(engineUrl(base, q)));
      }
      out.postHandshake = statusAndBody(
        await httpRequest(engineUrl(base, "EIO=4&transport=polling"), { method: "POST", body: "40" }),
      );
      out.putHandshake = statusAndBody(await httpRequest(engineUrl(base, "EIO=4&transport=polling"), { method: "PUT" }));
      out.wsWithPollingName = await wsOutcome(engineUrl(base.replace(/^http/, "ws"), "EIO=4&transport=polling"));
      return out;
    },
  },
]);
