import type { Socket as EioSocket } from "engine.io";
import { debug as makeDebug, warn } from "../log";
import type { CloseDescription, Payload } from "../protocol/frame";
import { packetJsonBody, packetNamespace, packetType, SioType } from "../protocol/socketio-peek";
import { describePacket, tracePacketIo } from "../protocol/packet-trace";
import { clearTimeout } from "../clock";
import { AppLink, LocalAppLink } from "./app-link";
import { HeldConnection, JoinedNamespace } from "./held-connection";
import { IoNodeShared, PRESENCE_WAIT_MS } from "./io-node-shared";

const debug = makeDebug("io-node");

/**
 * The client side of an io-node: Engine.IO connections come in and become held connections,
 * their packets go to the owner (or wait, while there is none or a room announcement is out), and
 * their close is told to the owner.
 */
export class ClientIntake {
  private clientInfoProvider?: (connId: string) => Record<string, unknown> | undefined;

  /**
   * @param assignOwner hands a new connection to an app-node (see `ownership.ts`)
   * @param maxPendingPackets client packets kept per connection while it waits
   */
  constructor(
    private readonly node: IoNodeShared,
    private readonly assignOwner: (hc: HeldConnection) => void,
    private readonly maxPendingPackets: number,
  ) {}

  /** See `IoNode.setClientInfoProvider`. */
  setClientInfoProvider(provider: ((connId: string) => Record<string, unknown> | undefined) | undefined): void {
    this.clientInfoProvider = provider;
    for (const hc of this.node.connections.values()) hc.sentInfo = undefined;
  }

  private relay(hc: HeldConnection, link: AppLink, data: Payload): void {
    if (this.clientInfoProvider) {
      const info = this.clientInfoProvider(hc.id);
      const json = info ? JSON.stringify(info) : undefined;
      if (info && json !== hc.sentInfo) {
        hc.sentInfo = json;
        link.clientInfo(hc.id, info);
      }
    }
    link.data(hc.id, data);
  }

  /** A new Engine.IO connection: held here, and handed to an owner. */
  onConnection(socket: EioSocket): void {
    const hc = new HeldConnection(socket);
    this.node.connections.set(hc.id, hc);
    debug("connection %s (%s)", hc.id, socket.transport.name);
    (socket as HeldSocket)[HELD] = hc;
    const on = this.socketListeners;
    socket.on("message", on.message);
    socket.on("upgrading", on.upgrading);
    socket.on("upgrade", on.upgrade);
    socket.on("close", on.close);
    this.assignOwner(hc);
  }

  /**
   * The listeners of every held Engine.IO socket, shared by all of them (the socket names its
   * connection): per connection they would cost four closures.
   */
  private readonly socketListeners = ((intake: ClientIntake) => ({
    message(this: HeldSocket, data: Payload): void {
      intake.onClientData(this[HELD], data);
    },
    upgrading(this: HeldSocket, transport: { name: string }): void {
      const hc = this[HELD];
      if (hc.owner) intake.node.link(hc.owner).upgrade(hc.id, transport.name, false);
    },
    upgrade(this: HeldSocket): void {
      const hc = this[HELD];
      if (hc.owner) intake.node.link(hc.owner).upgrade(hc.id, this.transport.name, true);
    },
    close(this: HeldSocket, reason: string, description?: unknown): void {
      intake.onClientClose(this[HELD], reason, description);
    },
  }))(this);

  /** Sends the packets the connection kept to its owner (those of namespaces it still joins). */
  flushPending(hc: HeldConnection): void {
    if (hc.pendingPackets.length === 0 || hc.waitsForPresence) return;
    const link = this.node.link(hc.owner!);
    const packets = hc.pendingPackets.splice(0);
    // after a re-home, packets for namespaces that are not joined anymore would make Socket.IO
    // close the whole connection; binary attachments follow the fate of their header
    let keep = true;
    for (const p of packets) {
      if (typeof p === "string") {
        const type = packetType(p);
        keep = !hc.rehomed || type === SioType.CONNECT || hc.namespaces.has(packetNamespace(p));
      }
      if (!keep) continue;
      if (tracePacketIo.enabled) tracePacketIo("pending %s %s → %s%s", hc.id, describePacket(p), hc.owner, inProcess(link));
      this.relay(hc, link, p);
    }
  }

  private onClientData(hc: HeldConnection, data: Payload): void {
    this.node.counters.messages++;
    this.node.counters.traffic.packetsIn++;
    this.node.counters.traffic.bytesIn += data.length;
    if (typeof data === "string") {
      const type = packetType(data);
      if (type === SioType.CONNECT) {
        const nsp = packetNamespace(data);
        const joined: JoinedNamespace = { auth: packetJsonBody(data) };
        const previous = hc.namespaces.get(nsp)?.recovery;
        if (previous) this.node.windows.discard(hc, previous);
        hc.namespaces.set(nsp, joined);
        joined.recovery = this.node.windows.open(hc, nsp, joined.auth);
        if (joined.recovery) this.waitForPresence(hc);
      } else if (type === SioType.DISCONNECT) {
        const nsp = packetNamespace(data);
        const joined = hc.namespaces.get(nsp);
        this.node.rooms.leaveNamespace(hc, nsp);
        hc.namespaces.delete(nsp);
        if (joined?.sid) this.node.emit("left", { connId: hc.id, nsp, sid: joined.sid });
      }
    }
    if (hc.state !== "open" || hc.waitsForPresence) {
      if (hc.pendingPackets.length >= this.maxPendingPackets) {
        warn("pending-overflow", `io-node ${this.node.id}: connection ${hc.id} sent more than ${this.maxPendingPackets} packets while waiting for an app-node; closing it`);
        hc.socket.close();
        return;
      }
      if (tracePacketIo.enabled) tracePacketIo("in %s %s, waits (%s)", hc.id, describePacket(data), hc.waitsForPresence ? "room presence" : hc.state);
      hc.pendingPackets.push(data);
      return;
    }
    const link = this.node.link(hc.owner!);
    if (tracePacketIo.enabled) tracePacketIo("in %s %s → %s%s", hc.id, describePacket(data), hc.owner, inProcess(link));
    this.relay(hc, link, data);
  }

  private onClientClose(hc: HeldConnection, reason: string, description?: unknown): void {
    this.node.connections.delete(hc.id);
    clearTimeout(hc.pendingTimer);
    this.node.rooms.removeMember(hc);
    this.discardWindows(hc);
    for (const [nsp, joined] of hc.namespaces) {
      if (joined.sid) this.node.emit("left", { connId: hc.id, nsp, sid: joined.sid });
    }
    debug("connection %s closed (%s)", hc.id, reason);
    if (hc.owner && !hc.closedByApp) this.node.link(hc.owner).close(hc.id, reason, closeDescription(description));
  }

  /**
   * Holds the client's packets (its CONNECT first) until the io-node's wish for every broadcast of
   * a namespace it restores a session in is announced (see `recovery-window.ts`).
   */
  private waitForPresence(hc: HeldConnection): void {
    hc.waitsForPresence = true;
    void this.node.presence.announceNow(PRESENCE_WAIT_MS).then((published) => {
      if (!published) debug("room presence not confirmed within %d ms; connection %s goes on", PRESENCE_WAIT_MS, hc.id);
      hc.waitsForPresence = false;
      if (hc.state === "open" && this.node.connections.get(hc.id) === hc) this.flushPending(hc);
    });
  }

  /** Forgets the sessions the connection was restoring, and the broadcasts kept for them. */
  discardWindows(hc: HeldConnection): void {
    for (const joined of hc.namespaces.values()) {
      if (joined.recovery) this.node.windows.discard(hc, joined.recovery);
      joined.recovery = undefined;
    }
  }
}

const HELD = Symbol("held connection");
type HeldSocket = EioSocket & { [HELD]: HeldConnection };

/** For traces: a co-located app-node's link is a function call, no batch. */
function inProcess(link: AppLink): string {
  return link instanceof LocalAppLink ? " (in process)" : "";
}

/** Engine.IO's close description, in a form that crosses the relay (an Error stays an Error). */
function closeDescription(description: unknown): CloseDescription | undefined {
  if (description === undefined || description === null) return undefined;
  if (description instanceof Error) return { message: description.message, error: true };
  return { message: typeof description === "string" ? description : JSON.stringify(description), error: false };
}
