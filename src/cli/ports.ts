import { waitFor } from "./wait-for";
import { connect, createServer } from "net";

/** A TCP port nobody listens on right now, picked by the system. */
export function findFreePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Whether `port` can be bound on every interface, as the nodes the CLI starts will bind it. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.unref();
    probe.once("error", () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}

/** Whether something accepts TCP connections on host:port within `timeoutMs`. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/**
 * Resolves true once host:port accepts connections, false after `timeoutMs` or as soon as
 * `gaveUp()` says the process that should listen there is gone.
 */
export function waitForPort(host: string, port: number, timeoutMs: number, gaveUp?: () => boolean): Promise<boolean> {
  return waitFor(() => canConnect(host, port, 500), timeoutMs, gaveUp);
}
