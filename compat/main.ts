/**
 * `npm run compat`: every scenario on every target, compared with plain Socket.IO.
 * Exits non-zero on a divergence that is not in the allow-list, or on a broken scenario.
 * Usage: tsx compat/main.ts [--grep TEXT] [--group NAME]
 */
import { loadScenarios } from "./index";
import { formatReport } from "./report";
import { judgeScenario, Outcome } from "./runner";
import { TARGETS } from "./targets";

async function main(): Promise<void> {
  const grepAt = process.argv.indexOf("--grep");
  const grep = grepAt > 0 ? process.argv[grepAt + 1] : undefined;
  const groupAt = process.argv.indexOf("--group");
  const group = groupAt > 0 ? process.argv[groupAt + 1] : undefined;
  const targets = TARGETS.slice(1);
  const outcomes: Outcome[] = [];
  for (const scenario of loadScenarios()) {
    if (grep && !`${scenario.group}/${scenario.name}`.includes(grep)) continue;
    if (group && scenario.group !== group) continue;
    const results = await judgeScenario(scenario, targets);
    outcomes.push(...results);
    const marks = results.map((r) => (r.verdict === "pass" ? "✓" : r.verdict === "allowed" ? "~" : "✗")).join("");
    process.stdout.write(`${marks} ${scenario.group}/${scenario.name}\n`);
  }
  console.log("\n" + formatReport(outcomes, targets.map((t) => t.name)));
  const bad = outcomes.filter((o) => o.verdict === "fail" || o.verdict === "broken");
  const passed = outcomes.filter((o) => o.verdict !== "fail" && o.verdict !== "broken").length;
  console.log(`\ncompat: ${passed} passed, ${bad.length} failed`);
  process.exitCode = bad.length ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
