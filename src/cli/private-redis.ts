import { ChildProcesses, ManagedChild } from "./child-processes";
import { findFreePort, waitForPort } from "./ports";

/** How long a fresh redis-server may take to accept connections. */
const REDIS_START_TIMEOUT_MS = 10_000;

export interface PrivateRedis {
  url: string;
  child: ManagedChild;
}

/**
 * Starts a throwaway redis-server for `dev`: loopback only, on a free port, with nothing written
 * to disk, so it leaves no trace once stopped. Rejects if it does not come up.
 */
export async function startPrivateRedis(binary: string, children: ChildProcesses): Promise<PrivateRedis> {
  const port = await findFreePort();
  const child = children.start({
    name: "redis",
    quiet: true,
    command: binary,
    args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
  });
  const up = await waitForPort("127.0.0.1", port, REDIS_START_TIMEOUT_MS, () => child.exited);
  if (!up) throw new Error(`the private redis-server (${binary}) did not start on port ${port}`);
  return { url: `redis://127.0.0.1:${port}`, child };
}
