import type { Server as HttpServer } from "http";
import type { AddressInfo } from "net";

/**
 * Starts `server` listening; resolves once it listens, rejects with the listen error (the port
 * in use...). The error listener is removed once listening, so later errors stay the caller's.
 *
 * @example
 * await listen(createServer(handler), 8080, "127.0.0.1");
 */
export function listen(server: HttpServer, port: number, host: string | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The host to put in a URL: a wildcard bind is reachable as localhost, an IPv6 one in brackets. */
export function urlHost(host: string | undefined): string {
  if (!host || host === "0.0.0.0" || host === "::") return "localhost";
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * host:port where a node is reached: `publicAddress` when given, else the server's bound
 * address (undefined until it listens).
 *
 * @example
 * advertisedAddress(httpServer, undefined); // "localhost:8080" once bound to *:8080
 */
export function advertisedAddress(server: HttpServer | undefined, publicAddress: string | undefined): string | undefined {
  if (publicAddress) return publicAddress;
  const a = server?.address() as AddressInfo | string | null | undefined;
  if (!a || typeof a !== "object") return undefined;
  return `${urlHost(a.address)}:${a.port}`;
}
