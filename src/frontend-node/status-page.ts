import { createHash } from "crypto";
import { makeAsset, StaticAsset } from "./static-asset";

/*
 * The status page: one self-contained HTML file (no external assets, so it works offline and on
 * a locked-down network). It fetches `status.json` — relative, so the page also works when the
 * frontend is mounted under a path in Express — every second and redraws with textContent only:
 * ids and hosts come from Redis records and must never be parsed as HTML.
 */

/** Column width classes (`w30` = 30%): the CSP allows no inline style attributes. */
const COLUMN_WIDTHS = Array.from({ length: 50 }, (_, i) => `.w${i + 1} { width: ${i + 1}%; }`).join("\n");

const STYLE = `
:root {
  --bg: #f5f6f8; --card: #fff; --text: #1d2330; --muted: #667085; --line: #e6e8ec;
  --accent: #2f6fed; --accent-soft: #e4ecfd; --ok: #12a150; --warn: #d48806; --bad: #d92d20;
  --bad-soft: #fdecea; --warn-soft: #fdf3e1; --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0f1218; --card: #171b23; --text: #e6e8ee; --muted: #8b93a5; --line: #262c38;
    --accent: #6b9bff; --accent-soft: #1d2a45; --bad-soft: #3a1d1b; --warn-soft: #3a2d14;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
header { display: flex; align-items: center; gap: 12px; padding: 14px 28px; background: var(--card);
  border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0; font-weight: 650; letter-spacing: .2px; }
.pill { font: 12px var(--mono); color: var(--muted); background: var(--bg); border: 1px solid var(--line);
  border-radius: 999px; padding: 2px 10px; }
.live { margin-left: auto; display: flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; }
.dot { width: 9px; height: 9px; border-radius: 50%; background: var(--ok); box-shadow: 0 0 0 3px color-mix(in srgb, var(--ok) 22%, transparent); }
.live.down .dot { background: var(--bad); box-shadow: 0 0 0 3px color-mix(in srgb, var(--bad) 22%, transparent); }
.live.down { color: var(--bad); }
main { max-width: 1180px; margin: 0 auto; padding: 22px 28px 40px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 14px; margin-bottom: 24px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; }
.card .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .6px; }
.card .value { font-size: 26px; font-weight: 650; margin-top: 4px; font-variant-numeric: tabular-nums; }
.card .value.bad { color: var(--bad); }
section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; margin-bottom: 18px; overflow: hidden; }
section h2 { font-size: 13px; margin: 0; padding: 12px 16px; border-bottom: 1px solid var(--line);
  display: flex; align-items: baseline; gap: 8px; font-weight: 650; }
section h2 .count { color: var(--muted); font-weight: 500; }
section h2 .hint { margin-left: auto; color: var(--muted); font-weight: 400; font-size: 12px; }
/* narrow screens scroll a table sideways rather than squeeze its figures out of sight */
.scroll { overflow-x: auto; }
table { width: 100%; min-width: 860px; border-collapse: collapse; table-layout: fixed; font-variant-numeric: tabular-nums; }
th { text-align: left; font-weight: 500; color: var(--muted); font-size: 12px; padding: 8px 16px; background: var(--bg); }
td { padding: 9px 16px; border-top: 1px solid var(--line); vertical-align: middle; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
th.num, td.num { text-align: right; }
.id { font-family: var(--mono); font-size: 12.5px; }
.sub { color: var(--muted); font-size: 12px; font-family: var(--mono); }
.muted { color: var(--muted); }
.late { color: var(--warn); font-weight: 600; }
.bar { display: inline-block; vertical-align: middle; width: 90px; height: 6px; border-radius: 3px; background: var(--accent-soft); margin-right: 10px; overflow: hidden; }
.bar > i { display: block; height: 100%; background: var(--accent); border-radius: 3px; }
.tag { display: inline-block; font-size: 11px; padding: 1px 8px; border-radius: 999px; font-weight: 600; }
.tag.lost { background: var(--bad-soft); color: var(--bad); }
.tag.left { background: var(--warn-soft); color: var(--warn); }
.tag.role { background: var(--accent-soft); color: var(--accent); }
.tag.self { background: var(--accent-soft); color: var(--accent); margin-left: 6px; }
.empty { padding: 18px 16px; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 6px; }
${COLUMN_WIDTHS}
`;

const SCRIPT = `
"use strict";
var ROLE_NAMES = { io: "io-node", app: "app-node", frontend: "frontend" };
var live = document.getElementById("live");
var liveText = document.getElementById("live-text");
var report = null;

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function num(n) { return Number(n || 0).toLocaleString("en-US"); }
function rate(n) { n = Number(n || 0); return n < 10 && n % 1 ? n.toFixed(1) : num(Math.round(n)); }
function duration(ms) {
  var s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + "s";
  var m = Math.floor(s / 60); s %= 60;
  if (m < 60) return m + "m " + String(s).padStart(2, "0") + "s";
  var h = Math.floor(m / 60); m %= 60;
  if (h < 24) return h + "h " + String(m).padStart(2, "0") + "m";
  return Math.floor(h / 24) + "d " + (h % 24) + "h";
}
function clock(t) { return new Date(t).toLocaleTimeString([], { hour12: false }); }

function cell(row, content, cls) {
  var td = el("td", cls);
  if (content instanceof Node) td.appendChild(content); else td.textContent = content;
  row.appendChild(td);
  return td;
}
function nodeCell(row, id, address, self, metrics) {
  var td = el("td");
  td.appendChild(el("div", "id", id));
  var sub = el("div", "sub", address || "");
  if (self) sub.appendChild(el("span", "tag self", "this frontend"));
  if (metrics) {
    var a = el("a", "metrics", "metrics");
    a.href = "http://" + metrics + "/metrics";
    sub.appendChild(document.createTextNode(" "));
    sub.appendChild(a);
  }
  if (address || self || metrics) td.appendChild(sub);
  row.appendChild(td);
}
function barCell(row, value, max) {
  var td = el("td", "num");
  var bar = el("span", "bar");
  var fill = el("i");
  fill.style.width = (max > 0 ? Math.round((value / max) * 100) : 0) + "%";
  bar.appendChild(fill);
  td.appendChild(bar);
  td.appendChild(document.createTextNode(num(value)));
  row.appendChild(td);
}
function hostCell(row, n) { cell(row, n.host + " \\u00b7 " + n.pid, "sub"); }
function beatCell(row, ms) {
  var late = report && ms > report.frontend.heartbeatInterval * 2.5;
  cell(row, ms < 1000 ? "now" : duration(ms) + " ago", late ? "late" : "muted");
}

function fillTable(id, rows, render) {
  var body = document.getElementById(id);
  var wrap = body.closest(".scroll");
  var empty = wrap.nextElementSibling;
  body.textContent = "";
  rows.forEach(function (r) { var tr = el("tr"); render(tr, r); body.appendChild(tr); });
  wrap.hidden = rows.length === 0;
  empty.hidden = rows.length !== 0;
}

/** The io-node or app-node table: each node's connections as a bar, against the most any has. */
function connectionTable(id, nodes) {
  var max = Math.max.apply(null, [0].concat(nodes.map(function (n) { return n.connections; })));
  fillTable(id, nodes, function (tr, n) {
    nodeCell(tr, n.id, n.address, false, n.metrics);
    barCell(tr, n.connections, max);
    cell(tr, rate(n.messagesPerSecond), "num");
    hostCell(tr, n);
    cell(tr, duration(n.uptime), "num");
    beatCell(tr, n.lastHeartbeat);
  });
}

function draw(r) {
  report = r;
  var t = r.totals;
  document.getElementById("prefix").textContent = "prefix " + r.frontend.prefix;
  document.getElementById("c-clients").textContent = num(t.io.connections);
  document.getElementById("c-rate").textContent = rate(t.io.messagesPerSecond);
  document.getElementById("c-io").textContent = num(t.io.nodes);
  document.getElementById("c-app").textContent = num(t.app.nodes);
  var fail = document.getElementById("c-fail");
  fail.textContent = num(r.failures.length);
  fail.className = "value" + (r.failures.length ? " bad" : "");
  document.getElementById("n-io").textContent = t.io.nodes;
  document.getElementById("n-app").textContent = t.app.nodes;
  document.getElementById("n-frontend").textContent = t.frontend.nodes;
  document.getElementById("n-fail").textContent = r.failures.length;

  connectionTable("io", r.nodes.io);
  connectionTable("app", r.nodes.app);
  fillTable("frontend", r.nodes.frontend, function (tr, n) {
    nodeCell(tr, n.id, n.address, n.id === r.frontend.id, n.metrics);
    cell(tr, "");
    cell(tr, rate(n.messagesPerSecond), "num");
    hostCell(tr, n);
    cell(tr, duration(n.uptime), "num");
    beatCell(tr, n.lastHeartbeat);
  });
  fillTable("failures", r.failures, function (tr, f) {
    var when = el("div", null, clock(f.at));
    var wrap = el("div"); wrap.appendChild(when); wrap.appendChild(el("div", "sub", duration(r.at - f.at) + " ago"));
    cell(tr, wrap);
    cell(tr, el("span", "tag " + f.kind, f.kind === "lost" ? "heartbeat lost" : "left cleanly"));
    cell(tr, el("span", "tag role", ROLE_NAMES[f.role] || f.role));
    nodeCell(tr, f.id, f.address);
    cell(tr, num(f.connections), "num");
    hostCell(tr, f);
    cell(tr, duration(f.uptime), "num");
  });
  document.getElementById("footer").textContent =
    "served by " + r.frontend.id + " \\u00b7 " + r.frontend.transport + " transport \\u00b7 heartbeat " +
    r.frontend.heartbeatInterval + " ms, node timeout " + r.frontend.nodeTimeout + " ms \\u00b7 refreshes every second";
}

function tick() {
  fetch("status.json", { cache: "no-store" })
    .then(function (res) { if (!res.ok) throw new Error("HTTP " + res.status); return res.json(); })
    .then(function (r) {
      draw(r);
      live.className = "live";
      liveText.textContent = "live \\u00b7 " + clock(r.at);
    })
    .catch(function (err) {
      live.className = "live down";
      liveText.textContent = "frontend unreachable (" + err.message + "), retrying";
    })
    .finally(function () { setTimeout(tick, 1000); });
}
tick();
`;

/** A table with fixed column widths (in %), so the sections line up with each other. */
function table(id: string, headers: Array<[string, number, string?]>, empty: string): string {
  const ths = headers.map(([label, width, cls]) => `<th class="w${width}${cls ? ` ${cls}` : ""}">${label}</th>`).join("");
  return `<div class="scroll" hidden><table><thead><tr>${ths}</tr></thead><tbody id="${id}"></tbody></table></div><div class="empty">${empty}</div>`;
}

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>socket.io-cluster status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>socket.io-cluster</h1>
  <span class="pill" id="prefix">connecting…</span>
  <div class="live" id="live"><span class="dot"></span><span id="live-text">loading…</span></div>
</header>
<main>
  <div class="cards">
    <div class="card"><div class="label">Clients connected</div><div class="value" id="c-clients">–</div></div>
    <div class="card"><div class="label">Messages / s</div><div class="value" id="c-rate">–</div></div>
    <div class="card"><div class="label">io-nodes</div><div class="value" id="c-io">–</div></div>
    <div class="card"><div class="label">app-nodes</div><div class="value" id="c-app">–</div></div>
    <div class="card"><div class="label">Recent failures</div><div class="value" id="c-fail">–</div></div>
  </div>
  <section>
    <h2>io-nodes <span class="count" id="n-io"></span><span class="hint">hold client connections · least loaded get new clients</span></h2>
    ${table("io", [["Node", 31], ["Connections", 21, "num"], ["Messages / s", 13, "num"], ["Host · PID", 17], ["Uptime", 9, "num"], ["Heartbeat", 9]], "No io-node is alive: clients cannot connect.")}
  </section>
  <section>
    <h2>app-nodes <span class="count" id="n-app"></span><span class="hint">run the application · own connections</span></h2>
    ${table("app", [["Node", 31], ["Connections owned", 21, "num"], ["Messages / s", 13, "num"], ["Host · PID", 17], ["Uptime", 9, "num"], ["Heartbeat", 9]], "No app-node is alive: io-nodes hold new connections until one starts.")}
  </section>
  <section>
    <h2>frontends <span class="count" id="n-frontend"></span><span class="hint">serve pages and the io-node list</span></h2>
    ${table("frontend", [["Node", 31], ["", 21], ["Requests / s", 13, "num"], ["Host · PID", 17], ["Uptime", 9, "num"], ["Heartbeat", 9]], "No frontend registered.")}
  </section>
  <section>
    <h2>Recent failures <span class="count" id="n-fail"></span><span class="hint">nodes that left or stopped answering, newest first</span></h2>
    ${table("failures", [["When", 11], ["What", 13], ["Role", 10], ["Node", 27], ["Connections", 13, "num"], ["Host · PID", 17], ["Ran for", 9, "num"]], "No node has left the cluster since this frontend started.")}
  </section>
  <footer id="footer"></footer>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

function sha256(text: string): string {
  return `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
}

/**
 * A Content-Security-Policy that allows exactly this page's inline style and script (by hash) and
 * requests to its own origin: nothing injected into a record could run even if it reached the DOM.
 */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "connect-src 'self'",
  "img-src data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

let page: StaticAsset | undefined;

/**
 * The status page, built once.
 *
 * @example
 * sendAsset(req, res, statusPage(), { "Content-Security-Policy": STATUS_PAGE_CSP });
 */
export function statusPage(): StaticAsset {
  page ??= makeAsset(Buffer.from(HTML), "text/html; charset=utf-8");
  return page;
}
