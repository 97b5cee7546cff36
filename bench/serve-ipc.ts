/**
 * The child side of child.ts: answers the bench's requests with `handle`, and ends the process
 * when the bench goes away (closed IPC channel), so that no child outlives it.
 */
import type { Reply } from "./protocol";

export function send(msg: Reply | { event: string; [k: string]: unknown }): void {
  if (process.connected) process.send?.(msg);
}

export function serveIpc<C extends { cmd: string }>(handle: (req: C) => unknown, onParentGone: () => void | Promise<void>): void {
  process.on("message", (req: C & { id: number }) => {
    Promise.resolve()
      .then(() => handle(req))
      .then(
        (result) => send({ id: req.id, ok: true, result: result ?? null }),
        (err: Error) => send({ id: req.id, ok: false, error: err?.message ?? String(err) }),
      );
  });
  process.on("disconnect", () => {
    // leave within 2 s even when closing hangs
    setTimeout(() => process.exit(0), 2_000).unref();
    void Promise.resolve()
      .then(onParentGone)
      .catch(() => undefined)
      .then(() => process.exit(0));
  });
}
