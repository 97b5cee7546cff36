const POLL_MS = 100;

/**
 * Resolves true once `condition()` holds, false after `timeoutMs` or as soon as `gaveUp()`
 * says waiting longer is pointless (the process that should get there is gone).
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  gaveUp: () => boolean = () => false,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !gaveUp()) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return false;
}
