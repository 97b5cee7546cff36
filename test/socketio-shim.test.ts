/**
 * What socket.io-cluster uses of socket.io's and socket.io-adapter's inner parts. When an upgrade
 * moves one of them, this fails first, naming it.
 */
import { expect } from "chai";
import { EventEmitter } from "events";
import { Server, Socket } from "socket.io";
import { Adapter, ClusterAdapter, ClusterAdapterWithHeartbeat } from "socket.io-adapter";
import { once } from "./helpers";
import { watchOutgoingListeners } from "../src/socketio-shim";

describe("socket.io internals the cluster relies on", () => {
  it("Socket: onAnyOutgoing, prependAnyOutgoing and notifyOutgoingListeners (outgoing listeners of broadcasts)", () => {
    for (const name of ["onAnyOutgoing", "prependAnyOutgoing", "notifyOutgoingListeners"]) {
      expect(typeof (Socket.prototype as unknown as Record<string, unknown>)[name], `Socket.prototype.${name}`).to.equal("function");
    }
    watchOutgoingListeners();
    watchOutgoingListeners();
    let heard = 0;
    const fake = { adapter: { _outgoingListenerAdded: () => heard++ }, _anyOutgoingListeners: undefined as unknown };
    Socket.prototype.onAnyOutgoing.call(fake as never, () => undefined);
    Socket.prototype.prependAnyOutgoing.call(fake as never, () => undefined);
    expect(heard, "patched once, heard on each call").to.equal(2);
  });

  it("Adapter: sids, apply() and encoder.encode() (room bookkeeping and broadcasts)", () => {
    const nsp = { name: "/", server: { encoder: { encode: (p: unknown) => [JSON.stringify(p)] } }, sockets: new Map() };
    const adapter = new Adapter(nsp as never) as unknown as {
      sids: Map<string, Set<string>>;
      apply(opts: unknown, fn: (s: unknown) => void): void;
      encoder: { encode(p: unknown): unknown[] };
      addAll(id: string, rooms: Set<string>): void;
    };
    adapter.addAll("s1", new Set(["s1", "r"]));
    expect(adapter.sids.get("s1")).to.deep.equal(new Set(["s1", "r"]));
    expect(typeof adapter.apply).to.equal("function");
    expect(adapter.encoder.encode({ type: 2 })).to.have.length(1);
  });

  it("ClusterAdapter: addOffsetIfNecessary (recovery offsets)", () => {
    expect(typeof (ClusterAdapter.prototype as unknown as Record<string, unknown>).addOffsetIfNecessary).to.equal("function");
  });

  it("ClusterAdapterWithHeartbeat: nodesMap (the peers heard from, asked about a recovery claim)", () => {
    class Quiet extends ClusterAdapterWithHeartbeat {
      constructor() {
        super({ name: "/", server: { encoder: {} }, sockets: new Map() } as never, {});
      }
      protected override async doPublish(): Promise<string> {
        return "";
      }
      protected override async doPublishResponse(): Promise<void> {}
    }
    const adapter = new Quiet();
    expect((adapter as unknown as { nodesMap: unknown }).nodesMap).to.be.instanceOf(Map);
    adapter.close();
  });

  it("Namespace: restoreSession is called while the CONNECT packet is handled (the relay engine names the claim's connection)", async () => {
    let handling = false;
    let calledWhileHandling: boolean | undefined;
    class Probe extends Adapter {
      override restoreSession(): Promise<never> {
        calledWhileHandling = handling;
        return Promise.resolve(null as never);
      }
    }
    const io = new Server({ adapter: Probe as never, connectionStateRecovery: {} });
    const engine = new EventEmitter();
    io.bind(engine as never);
    const conn = Object.assign(new EventEmitter(), {
      id: "c1",
      request: { headers: {}, url: "/", _query: {}, connection: { encrypted: false } },
      remoteAddress: "127.0.0.1",
      protocol: 4,
      readyState: "open",
      transport: { name: "websocket", writable: true },
      write: () => undefined,
      close: () => undefined,
    });
    engine.emit("connection", conn);
    const connected = once(io, "connection");
    handling = true;
    conn.emit("data", '0{"pid":"p","offset":"0-1"}');
    handling = false;
    await connected;
    expect(calledWhileHandling).to.equal(true);
    conn.emit("close", "transport close");
  });
});
