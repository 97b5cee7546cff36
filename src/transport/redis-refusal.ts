/**
 * Replies by which Redis refuses this node's user. No retry mends them (ioredis would reconnect
 * and re-authenticate forever, and the node's start would hang), so a node gives up on them at
 * start with a message an operator can act on.
 */

/**
 * The error a node's start (`ready()`) rejects with when Redis refuses its user.
 *
 * @example
 * await io.ready().catch((err) => {
 *   if (err instanceof RedisRefusedError) console.error(err.reason, err.message); // "credentials" | "permission"
 *   process.exit(1);
 * });
 */
export class RedisRefusedError extends Error {
  /** "credentials" for a wrong user or password, "permission" for what the ACL does not grant. */
  readonly reason: "credentials" | "permission";

  constructor(reason: "credentials" | "permission", message: string) {
    super(message);
    this.name = "RedisRefusedError";
    this.reason = reason;
  }
}

const CREDENTIALS = /^(WRONGPASS|NOAUTH)\b|^ERR (invalid password|invalid username-password|AUTH )/;
const PERMISSION = /^NOPERM\b/;

/**
 * The refusal `err` stands for, or undefined for any other error (a lost connection, a bad reply).
 * ioredis tags a command's error with the command (`err.command.name`), which the message names.
 *
 * @example
 * refusalOf(new Error("WRONGPASS invalid username-password pair"))?.message
 * // "socket.io-cluster: Redis refused the credentials (WRONGPASS invalid username-password pair)"
 */
export function refusalOf(err: Error): RedisRefusedError | undefined {
  if (err instanceof RedisRefusedError) return err;
  const message = err?.message ?? "";
  if (CREDENTIALS.test(message)) {
    return new RedisRefusedError("credentials", `socket.io-cluster: Redis refused the credentials (${message})`);
  }
  if (PERMISSION.test(message)) {
    const command = (err as { command?: { name?: string; args?: unknown[] } }).command;
    const key = typeof command?.args?.[0] === "string" ? ` ${command.args[0]}` : "";
    const what = command?.name ? ` may not run ${command.name.toUpperCase()}${key}` : " lacks a permission";
    return new RedisRefusedError(
      "permission",
      `socket.io-cluster: the Redis user${what} (${message}); grant it the ACL in the README ("TLS and ACL")`,
    );
  }
  return undefined;
}
