import type { Outcome } from "./runner";
import { ALLOW_LIST } from "./allow-list";

/** The table of `npm run compat`: scenario group x target, pass/total, then what did not pass. */
export function formatReport(outcomes: Outcome[], targets: string[]): string {
  const groups = [...new Set(outcomes.map((o) => o.scenario.group))];
  const cell = (group: string | undefined, target: string) => {
    const mine = outcomes.filter((o) => o.target === target && (!group || o.scenario.group === group));
    const pass = mine.filter((o) => o.verdict === "pass").length;
    const allowed = mine.filter((o) => o.verdict === "allowed").length;
    return `${pass}/${mine.length}${allowed ? ` (+${allowed} allowed)` : ""}`;
  };
  const rows = [["group", ...targets], ...groups.map((g) => [g, ...targets.map((t) => cell(g, t))]), ["all", ...targets.map((t) => cell(undefined, t))]];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => "| " + r.map((c, i) => c.padEnd(widths[i])).join(" | ") + " |";
  const out = [line(rows[0]), "|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|", ...rows.slice(1).map(line)];
  const notPassed = outcomes.filter((o) => o.verdict !== "pass");
  if (notPassed.length) {
    out.push("", "Not passing:");
    for (const o of notPassed) out.push(`- [${o.verdict}] ${o.scenario.group}/${o.scenario.name} on ${o.target}: ${o.detail}`);
  }
  const entries = Object.entries(ALLOW_LIST);
  if (entries.length) {
    out.push("", "Allow-list:");
    for (const [name, byTarget] of entries) for (const [t, why] of Object.entries(byTarget)) out.push(`- ${name} on ${t}: ${why}`);
  }
  return out.join("\n");
}
