import type { Scenario } from "./scenario";

/**
 * Divergences from plain Socket.IO that are real limits of a cluster, each with its reason.
 * Key: "<group>/<scenario name>", value: target name -> reason. Nothing else may differ.
 */
export const ALLOW_LIST: Record<string, Record<string, string>> = {};

export function allowed(scenario: Scenario, target: string): string | undefined {
  return ALLOW_LIST[`${scenario.group}/${scenario.name}`]?.[target];
}
