import type { Scenario } from "./scenario";

/**
 * Divergences from plain Socket.IO that are real limits of a cluster, each with its reason.
 * Key: "<group>/<scenario name>", value: target name -> reason. Nothing else may differ.
 */
export const ALLOW_LIST: Record<string, Record<string, string>> = {
  "namespaces/io.of(nsp).sockets.size counts the clients connected to this server": {
    split:
      "Namespace.sockets holds the sockets of this process only, so each of two app-nodes counts its own half, as with " +
      "any Socket.IO adapter; the cluster-wide figure is fetchSockets().length",
  },
  "cluster-api/serverSideEmit with ack on a single server": {
    "redis-colocated":
      "plain Socket.IO's in-memory adapter does not implement serverSideEmit (it logs and never calls back); a cluster " +
      "adapter answers (null, [replies of the other app-nodes])",
    split:
      "plain Socket.IO's in-memory adapter does not implement serverSideEmit (it logs and never calls back); a cluster " +
      "adapter answers (null, [replies of the other app-nodes])",
  },
};

export function allowed(scenario: Scenario, target: string): string | undefined {
  return ALLOW_LIST[`${scenario.group}/${scenario.name}`]?.[target];
}
