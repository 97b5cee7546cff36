import type { Scenario } from "./scenario";
import { readdirSync } from "fs";
import { join } from "path";

/** Every scenario of compat/scenarios/*.ts (each file exports `default: Scenario[]`). */
export function loadScenarios(): Scenario[] {
  const dir = join(__dirname, "scenarios");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .flatMap((f) => (require(join(dir, f)) as { default: Scenario[] }).default);
}
