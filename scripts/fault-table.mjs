#!/usr/bin/env node
/**
 * Prints the reliability table of the last fault-suite run (test/faults/results.json, written by
 * `npm test` when it runs test/faults/) as Markdown, for the README. "max gap" is the longest
 * silence of the broadcast stream at any client, "max ack wait" the longest time a client waited
 * for the ack of one of its events.
 *
 *   node scripts/fault-table.mjs
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const file = join(dirname(fileURLToPath(import.meta.url)), "..", "test", "faults", "results.json");
if (!existsSync(file)) {
  console.error(`no ${file}: run \`npm test -- 'test/faults/*.test.ts'\` first`);
  process.exit(1);
}
const results = Object.values(JSON.parse(readFileSync(file, "utf8")));
// the issue's order; a fault of a newer case goes at the end
const ORDER = ["app-node SIGKILL", "app-node SIGTERM + restart", "io-node SIGKILL", "Redis paused 5 s", "Redis restarted empty", "rolling deploy"];
const rank = (r) => (ORDER.indexOf(r.fault) + 1 || ORDER.length + 1);
results.sort((a, b) => rank(a) - rank(b));

const n = (x) => x.toLocaleString("en-US");
const rows = [
  "| fault | client events sent | delivered | lost | duplicated | broadcast deliveries sent | delivered | lost | duplicated | clients disconnected | max gap | max ack wait |",
  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
];
for (const r of results) {
  const e = r.events;
  const b = r.broadcasts;
  const disconnected = `${r.clientsDisconnected} of ${r.clients}` + (r.reconnects ? ` (${r.recoveries}/${r.reconnects} reconnections recovered)` : "");
  rows.push(
    `| ${r.fault} | ${n(e.sent)} | ${n(e.delivered)} | ${n(e.lost)} | ${n(e.duplicated)} | ${n(b.sent)} | ${n(b.delivered)} | ${n(b.lost)} | ${n(b.duplicated)} | ${disconnected} | ${n(r.maxGapMs)} ms | ${r.maxAckMs === undefined ? "" : `${n(r.maxAckMs)} ms`} |`,
  );
}
const times = results.map((r) => r.at).sort();
const machine = results[0]?.machine ?? "?";
console.log(rows.join("\n"));
console.log(`\nMeasured ${times[0] ?? "?"} to ${times[times.length - 1] ?? "?"} on ${machine}.`);
