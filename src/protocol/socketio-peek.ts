/**
 * Just enough of Socket.IO's wire format (v5) for an io-node to follow a connection's namespaces,
 * which it needs to hand the connection to another app-node. Only the first characters of a packet
 * are looked at, except for CONNECT packets, which are rare.
 */

export const enum SioType {
  CONNECT = 48, // "0"
  DISCONNECT = 49, // "1"
  EVENT = 50, // "2"
  CONNECT_ERROR = 52, // "4"
  BINARY_EVENT = 53, // "5"
}

/** The packet type as the char code of its first character, or -1 for a binary attachment. */
export function packetType(packet: string | Buffer): number {
  return typeof packet === "string" && packet.length > 0 ? packet.charCodeAt(0) : -1;
}

/** How many binary attachments follow a packet (the "<n>-" of BINARY_EVENT / BINARY_ACK), else 0. */
export function attachmentCount(packet: string | Buffer): number {
  if (typeof packet !== "string") return 0;
  const type = packet.charCodeAt(0);
  if (type !== SioType.BINARY_EVENT && type !== 54) return 0;
  const dash = packet.indexOf("-", 1);
  return dash === -1 ? 0 : Number(packet.slice(1, dash)) || 0;
}

/** The namespace a packet is addressed to ("/" unless the packet names one). */
export function packetNamespace(packet: string): string {
  // binary packets carry "<attachments>-" before the namespace
  let i = 1;
  if (packet.charCodeAt(0) === SioType.BINARY_EVENT || packet.charCodeAt(0) === 54) {
    const dash = packet.indexOf("-", 1);
    if (dash === -1) return "/";
    i = dash + 1;
  }
  if (packet.charCodeAt(i) !== 47 /* "/" */) return "/";
  const comma = packet.indexOf(",", i);
  return comma === -1 ? packet.slice(i) : packet.slice(i, comma);
}

/** The JSON body of a packet with no ack id (CONNECT, CONNECT_ERROR), or undefined. */
export function packetJsonBody(packet: string): unknown {
  let i = 1;
  if (packet.charCodeAt(1) === 47) {
    const comma = packet.indexOf(",", 1);
    if (comma === -1) return undefined;
    i = comma + 1;
  }
  if (i >= packet.length) return undefined;
  try {
    return JSON.parse(packet.slice(i));
  } catch {
    return undefined;
  }
}

/** Builds a CONNECT packet for `nsp` with the given auth payload. */
export function connectPacket(nsp: string, auth: unknown): string {
  const body = auth === undefined ? "" : JSON.stringify(auth);
  return nsp === "/" ? `0${body}` : `0${nsp},${body}`;
}

const OFFSET_TAIL = /"([0-9]+-[0-9]+)"\]$/;

/**
 * The connection-state-recovery offset at the end of an EVENT packet, if any. Offsets are
 * Redis-stream-like ids ("<ms>-<seq>") appended by the cluster adapter as the last argument.
 */
export function trailingOffset(packet: string): string | undefined {
  if (packet.charCodeAt(packet.length - 1) !== 93 /* "]" */) return undefined;
  const m = OFFSET_TAIL.exec(packet.length > 80 ? packet.slice(-80) : packet);
  return m ? m[1] : undefined;
}
