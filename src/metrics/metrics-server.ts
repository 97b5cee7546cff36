import { createServer, Server as HttpServer } from "http";
import type { Registry } from "prom-client";
import { debug as makeDebug, warn } from "../log";
import { advertisedAddress, listen } from "../http/listen";

const debug = makeDebug("metrics");

/**
 * A tiny HTTP server answering `GET /metrics` with a registry in Prometheus' text format (and 404
 * for anything else), on its own port so the metrics never share a port with clients.
 *
 * @example
 * const server = new MetricsServer(registry);
 * await server.listen(9100);
 * server.address(); // "127.0.0.1:9100"
 */
export class MetricsServer {
  private readonly http: HttpServer;

  constructor(private readonly registry: Registry) {
    this.http = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
        res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
        res.end("Not Found");
        return;
      }
      this.registry.metrics().then(
        (text) => {
          res.writeHead(200, { "Content-Type": this.registry.contentType });
          res.end(req.method === "HEAD" ? undefined : text);
        },
        (err: Error) => {
          warn("metrics-scrape", `metrics could not be collected: ${err.message}`);
          res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
          res.end("metrics could not be collected");
        },
      );
    });
  }

  /** Starts listening; rejects when the port is taken. */
  listen(port: number, host?: string): Promise<void> {
    const listening = listen(this.http, port, host);
    void listening.then(() => debug("metrics on %s", this.address()), () => undefined);
    return listening;
  }

  /** host:port the server listens on, or undefined before it does. */
  address(): string | undefined {
    return advertisedAddress(this.http, undefined);
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (!this.http.listening) return resolve();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }
}
