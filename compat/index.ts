import type { Scenario } from "./scenario";
import { readdirSync } from "fs";
import { join } from "path";

/** Every scenario of compat/scenarios/*.ts (each exports `default: Scenario[]`; `_*.ts` files are shared helpers). */
export function loadScenarios(): Scenario[] {
  const dir = join(__dirname, "scenarios");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.startsWith("_"))
    .sort()
    .flatMap((f) => (require(join(dir, f)) as { default: Scenario[] }).default);
}
