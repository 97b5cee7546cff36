import type { IoServer } from "./cluster-view";

/**
 * `/config.js` in the format of the 2011 original, so its pages keep working:
 * `var SOCKET_SERVERS = [{"host":"...","port":8081}, ...];` — the io-nodes alive now, least
 * loaded first (pages connect to `SOCKET_SERVERS[0]`).
 *
 * @example
 * renderConfigJs([{ id: "io-1", host: "localhost", port: 8081, connections: 0, messagesPerSecond: 0 }]);
 * // 'var SOCKET_SERVERS = [{"host":"localhost","port":8081}];\n'
 */
export function renderConfigJs(servers: IoServer[]): string {
  // JSON is valid JavaScript and escapes whatever a registry record may hold
  return `var SOCKET_SERVERS = ${JSON.stringify(servers.map(({ host, port }) => ({ host, port })))};\n`;
}

/** The body of `/config.json`. */
export interface ConfigJson {
  /** Live io-nodes, least loaded first. */
  servers: IoServer[];
}

/**
 * `/config.json`: the same list as `/config.js`, with each io-node's id, connections and message rate.
 *
 * @example
 * JSON.parse(renderConfigJson(view.ioServers(true))).servers[0].host;
 */
export function renderConfigJson(servers: IoServer[]): string {
  const body: ConfigJson = {
    servers: servers.map((s) => ({ id: s.id, host: s.host, port: s.port, connections: s.connections, messagesPerSecond: s.messagesPerSecond })),
  };
  return JSON.stringify(body);
}
