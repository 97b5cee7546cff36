/**
 * What socket.io-cluster uses of the inner parts of socket.io, socket.io-adapter, engine.io and ws,
 * all of it behind src/socketio-shim.ts. Each test runs one shim function against the installed
 * packages (a real socket.io Server, a real engine.io server over a real websocket) and, when an
 * upgrade moved what the function relies on, fails naming it and the function to update.
 */
import { expect } from "chai";
import { EventEmitter } from "events";
import { createServer, get } from "http";
import type { AddressInfo } from "net";
import { Server as EngineServer, Socket as EioSocket } from "engine.io";
import { Server, Socket } from "socket.io";
import { Adapter, ClusterAdapterWithHeartbeat, ClusterMessage, MessageType } from "socket.io-adapter";
import { Encoder } from "socket.io-parser";
import WebSocket from "ws";
import { closeHttp, listen, once, onCleanup } from "./helpers";
import {
  addRecoveryOffset,
  attachClientServe,
  encodePacket,
  engineConnectionOf,
  engineSocketId,
  forEachTarget,
  namespacesOf,
  notifyOutgoing,
  peersLastSeen,
  privateSessionId,
  requestQuery,
  serverOptions,
  serverSideEmitHere,
  watchOutgoingListeners,
  websocketFrame,
} from "../src/socketio-shim";

/** The message each check fails with: what moved, and which shim function must follow. */
function moved(pkg: string, what: string, fn: string): string {
  return `${pkg} no longer has ${what}: the shim's ${fn}() must be updated`;
}

/** A connection object as an engine hands it to socket.io (what the relay engine's connections offer). */
function fakeConnection(id: string, extra: Record<string, unknown> = {}) {
  const written: unknown[] = [];
  const conn = Object.assign(new EventEmitter(), {
    id,
    request: { headers: { "x-test": "1" }, url: "/socket.io/?a=1", _query: { a: "1" }, connection: { encrypted: true } },
    remoteAddress: "127.0.0.1",
    protocol: 4,
    readyState: "open",
    transport: { name: "websocket", writable: true },
    write: (packet: unknown) => written.push(packet),
    close: () => undefined,
    written,
    ...extra,
  });
  return conn;
}

type FakeConnection = ReturnType<typeof fakeConnection>;

/** A real socket.io Server bound to an engine of our own, as on an app-node. */
function boundServer(opts: ConstructorParameters<typeof Server>[0] = {}): { io: Server; engine: EventEmitter } {
  const io = new Server(opts);
  const engine = Object.assign(new EventEmitter(), { close: () => undefined });
  io.bind(engine as never);
  onCleanup(() => io.close(), "socket.io server");
  return { io, engine };
}

/** Connects a fake connection to the main namespace; resolves with socket.io's socket for it. */
async function connectSocket(io: Server, engine: EventEmitter, conn: FakeConnection): Promise<Socket> {
  const connected = once<[Socket]>(io, "connection");
  engine.emit("connection", conn);
  conn.emit("data", "0");
  const [socket] = await connected;
  return socket;
}

/** A cluster adapter that publishes nowhere (socket.io-adapter's own logic, nothing else). */
class QuietAdapter extends ClusterAdapterWithHeartbeat {
  constructor(nsp: unknown) {
    super(nsp, {});
  }
  protected override async doPublish(): Promise<string> {
    return "";
  }
  protected override async doPublishResponse(): Promise<void> {}
  /** Handles a message as if another server had sent it. */
  hear(message: ClusterMessage): void {
    this.onMessage(message);
  }
}

describe("socket.io internals the cluster relies on (src/socketio-shim.ts)", () => {
  describe("socket.io Server", () => {
    it("serverOptions(): the constructor's options, recovery defaults filled in", () => {
      const { io } = boundServer({ connectionStateRecovery: {}, cluster: { prefix: "p" } } as never);
      const opts = serverOptions(io);
      expect(opts, moved("socket.io 4.x", "Server#_opts (the constructor's options)", "serverOptions")).to.be.an("object");
      expect(opts.cluster, moved("socket.io 4.x", "Server#_opts as the very options object", "serverOptions")).to.deep.equal({ prefix: "p" });
      expect(
        opts.connectionStateRecovery?.maxDisconnectionDuration,
        moved("socket.io 4.x", "connectionStateRecovery defaults filled in before the adapters exist", "serverOptions"),
      ).to.be.a("number");
    });

    it("namespacesOf(): every namespace by name, as io.of() creates them", () => {
      const { io } = boundServer();
      const chat = io.of("/chat");
      const nsps = namespacesOf(io);
      expect(nsps, moved("socket.io 4.x", "Server#_nsps", "namespacesOf")).to.be.instanceOf(Map);
      expect(nsps.get("/chat"), moved("socket.io 4.x", "Server#_nsps holding io.of()'s namespaces", "namespacesOf")).to.equal(chat);
      expect(nsps.get("/")).to.equal(io.sockets);
    });

    it("attachClientServe(): serves the Socket.IO client bundle on an HTTP server", async () => {
      const { io } = boundServer();
      const http = createServer((_req, res) => {
        res.writeHead(404);
        res.end();
      });
      onCleanup(() => closeHttp(http), "http server");
      attachClientServe(io, http);
      const port = await listen(http);
      const { status, body } = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
        get(`http://127.0.0.1:${port}/socket.io/socket.io.js`, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode, body }));
        }).on("error", reject);
      });
      expect(status, moved("socket.io 4.x", "Server#attachServe(srv) serving /socket.io/socket.io.js", "attachClientServe")).to.equal(200);
      expect(body).to.match(/Socket\.IO v4/);
    });
  });

  describe("socket.io Namespace", () => {
    it("serverSideEmitHere(): the namespace's serverSideEmit listeners get the event", () => {
      const { io } = boundServer();
      const heard: unknown[][] = [];
      io.of("/").on("ping", (...args: unknown[]) => heard.push(args));
      serverSideEmitHere(io.of("/"), ["ping", 1, "two"]);
      expect(heard, moved("socket.io 4.x", "Namespace#_onServerSideEmit(args)", "serverSideEmitHere")).to.deep.equal([[1, "two"]]);
    });

    it("restoreSession is called while the CONNECT packet is handled (the relay engine names the claim's connection)", async () => {
      let handling = false;
      let calledWhileHandling: boolean | undefined;
      class Probe extends Adapter {
        override restoreSession(): Promise<never> {
          calledWhileHandling = handling;
          return Promise.resolve(null as never);
        }
      }
      const { io, engine } = boundServer({ adapter: Probe as never, connectionStateRecovery: {} });
      const conn = fakeConnection("c1");
      engine.emit("connection", conn);
      const connected = once(io, "connection");
      handling = true;
      conn.emit("data", '0{"pid":"p","offset":"0-1"}');
      handling = false;
      await connected;
      expect(calledWhileHandling, "socket.io 4.x no longer calls Adapter#restoreSession synchronously: RelayEngine#_receiving must be updated").to.equal(
        true,
      );
    });
  });

  describe("socket.io Socket", () => {
    it("privateSessionId(): the private session id the client got in its CONNECT reply", async () => {
      const { io, engine } = boundServer({ connectionStateRecovery: {} });
      const conn = fakeConnection("c1");
      const socket = await connectSocket(io, engine, conn);
      const pid = privateSessionId(socket);
      expect(pid, moved("socket.io 4.x", "Socket#pid (the private session id)", "privateSessionId")).to.be.a("string");
      expect(conn.written.join(), "the CONNECT reply carries that pid").to.include(`"pid":"${pid}"`);

      const plain = boundServer();
      const other = await connectSocket(plain.io, plain.engine, fakeConnection("c2"));
      expect(privateSessionId(other), "no pid without connection state recovery").to.equal(undefined);
    });

    it("engineConnectionOf(): socket.conn is the object the engine emitted, with the cluster's fields", async () => {
      const { io, engine } = boundServer();
      const conn = fakeConnection("c1", { rehomed: true, clientInfo: { room: "lobby" } });
      const socket = await connectSocket(io, engine, conn);
      const seen = engineConnectionOf(socket);
      expect(seen, moved("socket.io 4.x", "socket.conn as the engine's connection object", "engineConnectionOf")).to.equal(conn);
      expect(seen.rehomed).to.equal(true);
      expect(seen.clientInfo).to.deep.equal({ room: "lobby" });
    });

    it("watchOutgoingListeners() and notifyOutgoing(): the adapter hears of outgoing listeners, which get the packets", async () => {
      let added = 0;
      class Listening extends Adapter {
        _outgoingListenerAdded(): void {
          added++;
        }
      }
      watchOutgoingListeners();
      watchOutgoingListeners();
      const { io, engine } = boundServer({ adapter: Listening as never });
      const socket = await connectSocket(io, engine, fakeConnection("c1"));
      const sent: unknown[][] = [];
      socket.onAnyOutgoing((...args: unknown[]) => sent.push(args));
      socket.prependAnyOutgoing(() => undefined);
      expect(added, moved("socket.io 4.x", "Socket#onAnyOutgoing/prependAnyOutgoing on the prototype, or Socket#adapter", "watchOutgoingListeners")).to.equal(2);
      notifyOutgoing(socket, { type: 2, nsp: "/", data: ["news", 1] });
      expect(sent, moved("socket.io 4.x", "Socket#notifyOutgoingListeners(packet)", "notifyOutgoing")).to.deep.equal([["news", 1]]);
    });
  });

  describe("socket.io-adapter", () => {
    it("forEachTarget(): the local sockets a broadcast's rooms and exceptions reach", async () => {
      const { io, engine } = boundServer();
      const a = await connectSocket(io, engine, fakeConnection("c1"));
      const b = await connectSocket(io, engine, fakeConnection("c2"));
      const c = await connectSocket(io, engine, fakeConnection("c3"));
      a.join("room");
      b.join("room");
      const reached: string[] = [];
      forEachTarget(io.of("/").adapter, { rooms: new Set(["room"]), except: new Set([b.id]) }, (socket) => reached.push(socket.id));
      expect(reached, moved("socket.io-adapter 2.x", "Adapter#apply(opts, callback)", "forEachTarget")).to.deep.equal([a.id]);
      const everyone: string[] = [];
      forEachTarget(io.of("/").adapter, { rooms: new Set(), except: new Set() }, (socket) => everyone.push(socket.id));
      expect(everyone.sort()).to.deep.equal([a.id, b.id, c.id].sort());
    });

    it("encodePacket(): the server's encoding of a packet", () => {
      const { io } = boundServer();
      const packet = { type: 2, nsp: "/", data: ["news", { n: 1 }] };
      const encoded = encodePacket(io.of("/").adapter, packet);
      expect(encoded, moved("socket.io-adapter 2.x", "Adapter#encoder (the server's encoder)", "encodePacket")).to.deep.equal(
        new Encoder().encode(packet),
      );
    });

    it("addRecoveryOffset(): an event without ack gets the log offset, others stay as they are", () => {
      const { io } = boundServer({ connectionStateRecovery: {}, adapter: QuietAdapter as never });
      const adapter = io.of("/").adapter as unknown as QuietAdapter;
      const event = { type: 2, nsp: "/", data: ["news"] as unknown[] };
      addRecoveryOffset(adapter, event, { rooms: new Set(), except: new Set() }, "7-0");
      expect(event.data, moved("socket.io-adapter 2.x", "ClusterAdapter#addOffsetIfNecessary(packet, opts, offset)", "addRecoveryOffset")).to.deep.equal([
        "news",
        "7-0",
      ]);
      const withAck = { type: 2, nsp: "/", id: 3, data: ["news"] as unknown[] };
      addRecoveryOffset(adapter, withAck, { rooms: new Set(), except: new Set() }, "8-0");
      expect(withAck.data).to.deep.equal(["news"]);
    });

    it("peersLastSeen(): when each other server was last heard from", () => {
      const { io } = boundServer({ adapter: QuietAdapter as never });
      const adapter = io.of("/").adapter as unknown as QuietAdapter;
      const before = Date.now();
      adapter.hear({ type: MessageType.HEARTBEAT, uid: "other-server", nsp: "/" } as ClusterMessage);
      const seen = peersLastSeen(adapter);
      expect(seen, moved("socket.io-adapter 2.x", "ClusterAdapterWithHeartbeat#nodesMap", "peersLastSeen")).to.be.instanceOf(Map);
      expect(seen.get("other-server"), moved("socket.io-adapter 2.x", "nodesMap as uid -> last heard (ms)", "peersLastSeen")).to.be.at.least(before);
    });

  });

  describe("the relay engine seam (socket.io's Server bound to an engine of ours)", () => {
    it("socket.handshake comes from conn.request (headers, url, _query, connection.encrypted) and conn.remoteAddress", async () => {
      const { io, engine } = boundServer();
      const socket = await connectSocket(io, engine, fakeConnection("c1"));
      const moves = "socket.io 4.x builds socket.handshake otherwise: RelayedRequest (src/app-node/relay-connection.ts) must be updated";
      expect(socket.handshake.query, moves).to.deep.equal({ a: "1" });
      expect(socket.handshake.headers, moves).to.deep.equal({ "x-test": "1" });
      expect(socket.handshake.url, moves).to.equal("/socket.io/?a=1");
      expect(socket.handshake.secure, moves).to.equal(true);
      expect(socket.handshake.address, moves).to.equal("127.0.0.1");
    });
  });

  describe("engine.io and ws", () => {
    /** A real engine.io server and a websocket client of it; resolves once both ends are open. */
    async function engineConnection(query: string): Promise<{ socket: EioSocket; client: WebSocket; openPacket: string }> {
      const http = createServer();
      onCleanup(() => closeHttp(http), "http server");
      const engine = new EngineServer();
      engine.attach(http);
      onCleanup(() => engine.close(), "engine.io server");
      const port = await listen(http);
      const connection = once<[EioSocket]>(engine, "connection");
      const client = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket&${query}`);
      onCleanup(() => client.terminate(), "websocket client");
      const [openPacket] = await once<[Buffer]>(client, "message");
      const [socket] = await connection;
      return { socket, client, openPacket: openPacket.toString() };
    }

    it("requestQuery() and engineSocketId(): the handshake's parsed query and the session id the client got", async () => {
      const { socket, openPacket } = await engineConnection("room=lobby");
      expect(requestQuery(socket.request), moved("engine.io 6.x", "req._query (set in Server#prepare)", "requestQuery")).to.include({
        room: "lobby",
        transport: "websocket",
      });
      const sid = (JSON.parse(openPacket.slice(1)) as { sid: string }).sid;
      expect(engineSocketId(socket), moved("engine.io 6.x", "Socket#id", "engineSocketId")).to.equal(sid);
    });

    it("websocketFrame(): engine.io sends a frame built by ws's Sender.frame as it is (wsPreEncodedFrame)", async () => {
      const { socket, client } = await engineConnection("");
      const message = once<[Buffer]>(client, "message");
      // the data written says "plain"; the client must get the pre-encoded frame instead
      socket.write("plain", { wsPreEncodedFrame: websocketFrame("framed") } as never);
      const [received] = await message;
      expect(received.toString(), moved("engine.io 6.x / ws 8.x", "the wsPreEncodedFrame write option or ws's Sender.frame", "websocketFrame")).to.equal(
        "4framed",
      );
    });
  });
});
