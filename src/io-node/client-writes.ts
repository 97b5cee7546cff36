import { BroadcastFlag, Payload } from "../protocol/frame";
import { attachmentCount, packetJsonBody, packetNamespace, packetType, SioType, trailingOffset } from "../protocol/socketio-peek";
import type { ClientIntake } from "./client-intake";
import { wasReplayed } from "./recovery-window";
import type { HeldConnection } from "./held-connection";
import type { IoNodeShared } from "./io-node-shared";
import { websocketFrame } from "../socketio-shim";
import { describePacket, tracePacketIo } from "../protocol/packet-trace";

/**
 * What app-nodes write to clients: a connection's own packets (the namespaces' CONNECT replies
 * followed on the way), its close, and broadcasts written to every member held here. Everything
 * goes out through Engine.IO, so ordering, long-polling and volatile stay Engine.IO's.
 */
export class ClientWrites {
  constructor(
    private readonly node: IoNodeShared,
    private readonly intake: Pick<ClientIntake, "flushPending">,
  ) {}

  /** A WRITE frame: one packet of a connection, from its owner (any other app-node is told it is not). */
  onWrite(from: string, connId: string, data: Payload, compress: boolean, volatile: boolean, options?: object): void {
    const hc = this.node.connections.get(connId);
    if (!hc) return;
    if (hc.owner !== from) {
      this.revoke(from, connId);
      return;
    }
    if (typeof data === "string") {
      const type = packetType(data);
      if (type === SioType.CONNECT || type === SioType.CONNECT_ERROR || type === SioType.DISCONNECT) {
        const joined = hc.namespaces.get(packetNamespace(data));
        const window = joined?.recovery;
        if (window) joined.recovery = undefined;
        const forward = this.onNamespaceReply(hc, type, data);
        if (forward) this.write(hc, data, compress, volatile, options);
        // the broadcasts kept while the session was restored follow the reply
        if (window && joined) joined.replayed = this.node.windows.close(hc, window, data);
        return;
      }
      if ((type === SioType.EVENT || type === SioType.BINARY_EVENT) && hc.namespaces.size > 0) {
        const joined = hc.namespaces.get(packetNamespace(data));
        if (joined?.recovery) this.node.windows.written(joined.recovery, data);
        else if (joined?.pid) {
          const offset = trailingOffset(data);
          if (offset) joined.offset = offset;
        }
      }
    }
    this.write(hc, data, compress, volatile, options);
  }

  private write(hc: HeldConnection, data: Payload, compress: boolean, volatile: boolean, options?: object): void {
    if (volatile && !keepVolatile(hc, data)) {
      if (tracePacketIo.enabled) tracePacketIo("out %s %s dropped (volatile)", hc.id, describePacket(data));
      return;
    }
    if (tracePacketIo.enabled) tracePacketIo("out %s %s", hc.id, describePacket(data));
    this.node.counters.messages++;
    this.countOut(data);
    hc.socket.write(data, options ?? { compress });
  }

  /** A broadcast kept while a session was restored, written once the owner's reply is out. */
  writeKept(hc: HeldConnection, data: Payload, options: { compress: boolean }, volatile: boolean): void {
    if (volatile && !hc.socket.transport.writable) return;
    if (tracePacketIo.enabled) tracePacketIo("out %s %s (kept broadcast)", hc.id, describePacket(data));
    this.node.counters.messages++;
    this.countOut(data);
    hc.socket.write(data, options);
  }

  /** A DISCONNECT frame: the owner closes the connection (`discard`: at once, dropping what is unsent). */
  onDisconnect(from: string, connId: string, discard: boolean): void {
    const hc = this.node.connections.get(connId);
    if (!hc || hc.owner !== from) return;
    hc.closedByApp = true;
    hc.socket.close(discard);
  }

  /**
   * A broadcast: written to every member of the rooms held here, through Engine.IO (so ordering,
   * long-polling and volatile stay Engine.IO's), with the websocket frame built once for all.
   */
  onBroadcast(
    from: string,
    nsp: string,
    rooms: string[],
    except: string[],
    flags: number,
    offset: string | undefined,
    data: Payload[],
  ): void {
    const volatile = (flags & BroadcastFlag.VOLATILE) !== 0;
    const local = (flags & BroadcastFlag.LOCAL) !== 0;
    const options: { compress: boolean; wsPreEncodedFrame?: Buffer[] } = { compress: (flags & BroadcastFlag.NO_COMPRESS) === 0 };
    const single = data.length === 1 && typeof data[0] === "string" ? (data[0] as string) : undefined;
    // sockets whose session is being restored get it later, from the window
    const restoring = this.node.windows.restoring(nsp);
    if (restoring) this.node.windows.keep(nsp, from, rooms, except, flags, offset, data);
    let written = 0;
    const traced = tracePacketIo.enabled;
    this.node.rooms.forEachMember(nsp, rooms, except, (member) => {
      const hc = member as HeldConnection;
      if (local && hc.owner !== from) return;
      if (volatile && !hc.socket.transport.writable) return;
      if (offset || restoring) {
        const joined = hc.namespaces.get(nsp);
        if (joined?.recovery) return;
        if (offset && joined?.replayed && wasReplayed(joined, offset)) return;
        if (offset && joined?.pid) joined.offset = offset;
      }
      if (single !== undefined && !options.wsPreEncodedFrame && hc.socket.transport.name === "websocket") {
        options.wsPreEncodedFrame = websocketFrame(single);
      }
      if (traced) for (const d of data) tracePacketIo("out %s %s (broadcast)", hc.id, describePacket(d));
      for (const d of data) hc.socket.write(d, options);
      written++;
    });
    this.node.counters.messages += written;
    if (written > 0) {
      let size = 0;
      for (const d of data) size += d.length;
      this.node.counters.traffic.packetsOut += written * data.length;
      this.node.counters.traffic.bytesOut += written * size;
    }
  }

  private countOut(data: Payload): void {
    this.node.counters.traffic.packetsOut++;
    this.node.counters.traffic.bytesOut += data.length;
  }

  /** Follows the namespaces' CONNECT replies; returns false when the reply must not reach the client. */
  private onNamespaceReply(hc: HeldConnection, type: number, data: string): boolean {
    const nsp = packetNamespace(data);
    const joined = hc.namespaces.get(nsp);
    const wasAwaited = hc.awaiting?.delete(nsp) === true;
    let forward = true;
    if (type === SioType.CONNECT) {
      const body = packetJsonBody(data) as { sid?: string; pid?: string } | undefined;
      // a session that survived the re-home is invisible to the client; a new one is announced
      if (wasAwaited && joined && body?.sid === joined.sid) {
        forward = false;
        this.node.counters.traffic.recovered++;
      }
      if (joined) {
        joined.sid = body?.sid;
        joined.pid = body?.pid;
      }
      if (body?.sid) this.node.emit("joined", { connId: hc.id, nsp, sid: body.sid });
    } else {
      this.node.rooms.leaveNamespace(hc, nsp);
      hc.namespaces.delete(nsp);
      if (joined?.sid) this.node.emit("left", { connId: hc.id, nsp, sid: joined.sid });
    }
    if (wasAwaited && !hc.awaiting?.size && hc.state === "rejoining") {
      hc.state = "open";
      // the reply goes out before the pending packets are released
      if (forward) {
        if (tracePacketIo.enabled) tracePacketIo("out %s %s", hc.id, describePacket(data));
        this.countOut(data);
        hc.socket.write(data);
      }
      this.intake.flushPending(hc);
      return false;
    }
    return forward;
  }

  private revoke(appId: string, connId: string): void {
    if (!this.node.registry.isAlive(appId)) return;
    this.node.link(appId).revoke(connId);
  }
}

/** Whether a volatile part goes out: a header while the transport is writable, an attachment as its header. */
function keepVolatile(hc: HeldConnection, data: Payload): boolean {
  const parts = hc.volatileParts;
  if (parts && typeof data !== "string") {
    if (--parts.left === 0) hc.volatileParts = undefined;
    return parts.keep;
  }
  const keep = hc.socket.transport.writable;
  const n = attachmentCount(data);
  hc.volatileParts = n > 0 ? { keep, left: n } : undefined;
  return keep;
}
