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

/**
 * What the original's two message builders, `AppMessage` and `IoMessage`, share: a
 * type (each builder has its own default and meaning) and the data, set in a chain before `send()`.
 *
 * @example
 * app.createMessage().setType("subscribe-to-channel").setData("vip").forClient(sessionId).send();
 */
export abstract class MessageBuilder {
  protected constructor(
    protected type: string,
    protected data: unknown,
  ) {}

  /**
   * Sets the type: what it does is the builder's (see `AppMessage` and `IoMessage`).
   *
   * @example
   * app.createMessage({ userId: 42 }).setType("setUserId").forClient(sessionId).send();
   * ioNode.server.createMessage(client, { n: 2 }).setType("pong").send();
   */
  setType(type: string): this {
    this.type = type;
    return this;
  }

  /**
   * Sets what the message carries.
   *
   * @example
   * app.createMessage().setData({ text: "hi" }).forChannel("room-1").send();
   * ioNode.server.createMessage(client).setType("score").setData({ points: 10 }).send();
   */
  setData(data: unknown): this {
    this.data = data;
    return this;
  }
}

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
