import { hostname } from "os";
import { debug as makeDebug } from "../log";

const debug = makeDebug("admin-ui");

/**
 * The Socket.IO admin UI (`instrument()` of `@socket.io/admin-ui`) names a server, unless given
 * `serverId`, after its machine: `os.hostname()`, or `${hostname}#${pid}` in a `cluster` worker.
 * App-nodes on one machine would then all show up as one server, so the stats an app-node
 * broadcasts under that default name are renamed after the app-node. A `serverId` the user set is
 * left alone: only the defaults of this very process (same pid) are replaced.
 *
 * @example
 * // in a broadcast: ["server_stats", { serverId: "host", pid: 4242, ... }] → serverId "app-3f2a…"
 * nameAdminServer(packet, io.cluster.appNodeId);
 */
export function nameAdminServer(packet: { data?: unknown[] }, appNodeId: string): void {
  const data = packet.data;
  // the cheap test first: every broadcast passes here
  if (!Array.isArray(data) || data[0] !== "server_stats") return;
  const stats = data[1] as { serverId?: unknown; pid?: unknown } | undefined;
  if (!stats || typeof stats !== "object" || stats.pid !== process.pid) return;
  const host = hostname();
  if (stats.serverId !== host && stats.serverId !== `${host}#${process.pid}`) return;
  debug("admin UI server %s shown as app-node %s", stats.serverId, appNodeId);
  stats.serverId = appNodeId;
}
