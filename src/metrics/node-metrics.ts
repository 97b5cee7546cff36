import type { Registry } from "prom-client";
import { promClient } from "./prom-client";
import { ClusterMetrics } from "./metrics";
import type { MetricsSource } from "./metrics-source";
import { MetricsServer } from "./metrics-server";
import { ClusterOptionsError } from "../errors";
import { CLUSTER_ENV } from "../defaults";

/**
 * Where the metrics go (see `ClusterOptions.metrics`).
 *
 * @example
 * createIoNode({ port: 8081, redis, metricsPort: 9100, metrics: { host: "10.0.0.5" } });
 */
export interface MetricsOptions {
  /**
   * Add the cluster's metrics to this prom-client Registry (the app's own) instead of a private one.
   * @default a private Registry
   *
   * @example
   * const registry = new (require("prom-client").Registry)();
   * new Server(httpServer, { cluster: { redis, metrics: { registry } } });
   * app.get("/metrics", async (_req, res) => res.type(registry.contentType).send(await registry.metrics()));
   */
  registry?: Registry;
  /**
   * Interface the metrics server (`metricsPort`) binds.
   * @default all interfaces
   *
   * @example
   * new Server(httpServer, { cluster: { redis, metricsPort: 9100, metrics: { host: "127.0.0.1" } } });
   */
  host?: string;
}

/**
 * The metrics of the nodes sharing one set of cluster options (an embedded server's io-node and
 * app-node): their registry, and the `/metrics` server when a port was asked for, started with
 * the first node and closed with the last.
 *
 * @example
 * const metrics = new NodeMetrics(9100, {});
 * await metrics.attach(ioNode);
 */
export class NodeMetrics {
  readonly registry: Registry;
  private readonly set: ClusterMetrics;
  private server?: MetricsServer;
  private listening?: Promise<void>;
  private readonly attached = new Set<MetricsSource>();

  constructor(readonly port: number | undefined, private readonly opts: MetricsOptions) {
    this.registry = opts.registry ?? new (promClient().Registry)();
    this.set = ClusterMetrics.on(this.registry);
  }

  /** Starts exporting a node's figures; resolves once the metrics server (if any) listens. */
  attach(source: MetricsSource): Promise<void> {
    this.attached.add(source);
    this.set.add(source);
    if (this.port === undefined) return Promise.resolve();
    if (!this.listening) {
      this.server = new MetricsServer(this.registry);
      this.listening = this.server.listen(this.port, this.opts.host);
    }
    return this.listening;
  }

  /** Stops exporting a node's figures; the last node closes the server. */
  async detach(source: MetricsSource): Promise<void> {
    this.attached.delete(source);
    this.set.remove(source);
    if (this.attached.size > 0 || !this.server) return;
    const server = this.server;
    this.server = undefined;
    this.listening = undefined;
    await server.close();
  }

  /** host:port of the `/metrics` server, once it listens. */
  address(): string | undefined {
    return this.server?.address();
  }
}

/** Metrics from the options, then `SOCKET_IO_CLUSTER_METRICS_PORT`; undefined (off) without either. */
export function resolveMetrics(port: number | undefined, opts: MetricsOptions | undefined): NodeMetrics | undefined {
  const raw = process.env[CLUSTER_ENV.metricsPort];
  if (port === undefined && raw !== undefined && raw !== "") port = Number(raw);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
    throw new ClusterOptionsError(`metricsPort must be a port number from 0 to 65535, got ${String(port ?? raw)}`);
  }
  if (port === undefined && !opts?.registry) return undefined;
  return new NodeMetrics(port, opts ?? {});
}
