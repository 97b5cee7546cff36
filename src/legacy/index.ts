/** The original 2011 API, as a thin layer over the modern one. */
export { makeListener, SocketIoAdapter } from "./socket-io-adapter";
export { LegacyClient } from "./legacy-client";
export { makeAppServer, AppServer, AppMessage } from "./app-server";
export { makeFrontendServer } from "./frontend";
export { makeIoServer, makeIoListener, LegacyIoServer, IoListener, IoMessage } from "./io-server";
export type { LegacyIoClient } from "./io-server";
export type { LegacyConfig } from "./config";
export type { AppMessageBody, IoMessageBody, Recipient, RecipientType } from "./messages";
