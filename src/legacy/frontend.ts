import type { Server as HttpServer } from "http";
import { createFrontend, FrontendNode } from "../frontend-node/frontend-node";
import { clusterOptionsFrom, LEGACY_DEFAULTS, LegacyConfig } from "./config";

/**
 * The original's frontend-node on an HTTP server: it serves `config.CLIENT_CONFIG_URL`
 * (`var SOCKET_SERVERS = [...]`), now listing the io-nodes that are alive, least loaded first.
 *
 * @example
 * const server = http.createServer(servePages);
 * cluster.makeFrontendServer(server, config);
 * server.listen(config.HTTP_PORT);
 */
export function makeFrontendServer(httpServer: HttpServer, config: LegacyConfig = {}): FrontendNode {
  const { redis, prefix, heartbeatInterval, nodeTimeout } = clusterOptionsFrom(config);
  const frontend = createFrontend({
    redis,
    prefix,
    heartbeatInterval,
    nodeTimeout,
    clientConfigUrl: config.CLIENT_CONFIG_URL ?? LEGACY_DEFAULTS.CLIENT_CONFIG_URL,
  });
  frontend.attach(httpServer);
  return frontend;
}
