/**
 * The errors socket.io-cluster throws for callers to catch, by class. Every message starts with
 * {@link ERROR_PREFIX}. (Errors that mirror socket.io's own, like the timeout of
 * `serverSideEmit` with an ack, keep socket.io's exact class and message.)
 */

/** What every socket.io-cluster error message starts with. */
export const ERROR_PREFIX = "socket.io-cluster: ";

/**
 * The base class of socket.io-cluster's errors: `err instanceof SocketIoClusterError` tells them
 * from socket.io's, ioredis's and the application's own.
 *
 * @example
 * try { new Server(httpServer, { cluster: { prefix: "no spaces" } }); }
 * catch (err) { if (err instanceof SocketIoClusterError) console.error(err.message); }
 */
export class SocketIoClusterError extends Error {
  constructor(message: string) {
    super(ERROR_PREFIX + message);
    this.name = new.target.name;
  }
}

/**
 * An option (of `Server`'s `cluster`, `createIoNode`, `createFrontend`, an environment variable
 * or a CLI flag) that cannot be used; thrown before anything is started or connected.
 *
 * @example
 * new Server({ cluster: { nodeTimeout: 100, heartbeatInterval: 1000 } });
 * // ClusterOptionsError: socket.io-cluster: nodeTimeout (100) must be larger than heartbeatInterval (1000)
 */
export class ClusterOptionsError extends SocketIoClusterError {}

/**
 * Redis refused this node's user at start: no retry mends that, so `ready()` rejects with it
 * (and the CLI exits with its message) instead of reconnecting forever.
 *
 * @example
 * await io.ready().catch((err) => {
 *   if (err instanceof RedisRefusedError && err.reason === "credentials") console.error("check REDIS_URL's password");
 * });
 */
export class RedisRefusedError extends SocketIoClusterError {
  /** "credentials" for a wrong user or password, "permission" for what the ACL does not grant. */
  readonly reason: "credentials" | "permission";

  constructor(reason: "credentials" | "permission", message: string) {
    super(message);
    this.reason = reason;
  }
}

/**
 * A relay batch between nodes that cannot be encoded or decoded (garbage, a truncated batch,
 * another protocol version). A receiving node logs it and drops the batch.
 *
 * @example
 * try { decodeBatch(buf); } catch (err) { if (err instanceof CodecError) warn(err.message); }
 */
export class CodecError extends SocketIoClusterError {
  constructor(message: string) {
    super(`relay codec: ${message}`);
  }
}

/** A message without {@link ERROR_PREFIX}, for a log line or a CLI message that names its source itself. */
export function withoutPrefix(message: string): string {
  return message.startsWith(ERROR_PREFIX) ? message.slice(ERROR_PREFIX.length) : message;
}
