import { parseArgs, ParseArgsConfig } from "util";
import { ClusterOptionsError } from "../errors";

/** A mistake in how the CLI was called (a bad option): printed with a pointer to `--help`, exit code 2. */
export class UsageError extends ClusterOptionsError {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * `util.parseArgs` in strict mode, with `--help` on every command, and its errors turned into
 * {@link UsageError}s so every bad flag gets the same short message.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals,
    });
  } catch (err) {
    // parseArgs messages already name the flag; its error codes add nothing for a person
    throw new UsageError((err as Error).message);
  }
}

/** Parses a whole number in `[min, max]` given to `--flag`, or throws a {@link UsageError}. */
export function integerFlag(flag: string, raw: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

/** Parses a TCP port given to `--flag` (0 lets the system pick one). */
export function portFlag(flag: string, raw: string | undefined): number | undefined {
  return integerFlag(flag, raw, 0, 65535);
}
