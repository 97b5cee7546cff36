/**
 * The original's messages between app-nodes and io-nodes, carried over the cluster transport's
 * pub/sub (client packets themselves travel through the relay, like any Socket.IO traffic).
 */
import { CHANNELS } from "../transport/keys";

export type RecipientType = "client" | "channel" | "all";

export interface Recipient {
  type: RecipientType;
  id?: string;
}

/** app-node → io-nodes: `{ type, recipients, exceptions, data }`, as in the original. */
export interface AppMessageBody {
  type: string;
  recipients: Recipient[];
  exceptions: string[];
  data: unknown;
}

/** io-node → app-nodes: `{ type, client: { sessionId, ... }, data }`, as in the original. */
export interface IoMessageBody {
  type: string;
  client?: { sessionId: string; [field: string]: unknown };
  data: unknown;
}

/** Channel on which app-nodes tell every io-node (`ioNode.server.on("app <type>")`). */
export const TO_IO_NODES = CHANNELS.legacyToIoNodes;
/** Channel on which io-nodes send custom messages to app-nodes. */
export const TO_APP_NODES = CHANNELS.legacyToAppNodes;

export function encodeMessage(body: AppMessageBody | IoMessageBody): Buffer {
  return Buffer.from(JSON.stringify(body));
}

/** Parses a message from the transport; undefined for anything that is not one. */
export function decodeMessage<T extends { type: string }>(payload: Buffer): T | undefined {
  try {
    const v = JSON.parse(payload.toString()) as T;
    return v && typeof v === "object" && typeof v.type === "string" ? v : undefined;
  } catch {
    return undefined;
  }
}
