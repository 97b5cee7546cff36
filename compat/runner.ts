import { isDeepStrictEqual } from "util";
import { io as ioc, Socket as ClientSocket } from "socket.io-client";
import { allowed } from "./allow-list";
import type { ClientOptions, CompatContext, Scenario, Shared } from "./scenario";
import { reference, Target } from "./targets";

export interface RunResult {
  observed?: unknown;
  error?: string;
}

export type Verdict = "pass" | "fail" | "allowed" | "broken";

export interface Outcome {
  scenario: Scenario;
  target: string;
  verdict: Verdict;
  /** Why it failed, or the allow-list's reason. */
  detail?: string;
}

/** Runs one scenario on one freshly started target and tears everything down. */
export async function runScenario(scenario: Scenario, target: Target): Promise<RunResult> {
  const shared: Shared = {};
  const clients: ClientSocket[] = [];
  let instance;
  try {
    instance = await target.start(scenario, shared);
  } catch (err) {
    return { error: `target did not start: ${(err as Error).message}` };
  }
  let next = 0;
  const urls = instance.urls;
  const ports = urls.map((u) => Number(new URL(u).port));
  const url = (node?: number) => urls[(node ?? next++) % urls.length];
  const client = (nsp = "/", opts: ClientOptions = {}) => {
    const { node, ...rest } = opts;
    const socket = ioc(url(node) + nsp, { forceNew: true, reconnection: false, ...rest });
    clients.push(socket);
    return socket;
  };
  const ctx: CompatContext = {
    target: target.name,
    nodes: urls.length,
    servers: instance.servers,
    shared,
    restart: async () => {
      await instance!.close();
      instance = await target.start(scenario, shared, ports);
      (ctx as { servers: unknown }).servers = instance.servers;
    },
    url,
    client,
    connect: (nsp, opts) =>
      new Promise((resolve, reject) => {
        const socket = client(nsp, opts);
        socket.once("connect", () => resolve(socket));
        socket.once("connect_error", (err) => reject(new Error(`connect_error: ${err.message}`)));
      }),
  };
  const timeoutMs = scenario.timeout ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  // server code that throws fails this run only, not the whole suite
  let crash: (err: Error) => void = () => undefined;
  const crashed = new Promise((_, reject) => (crash = (err) => reject(new Error(`uncaught exception: ${err.stack}`))));
  process.on("uncaughtException", crash);
  try {
    const observed = await Promise.race([
      scenario.run(ctx),
      crashed,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { observed: normalize(observed) };
  } catch (err) {
    return { error: (err as Error).message ?? String(err) };
  } finally {
    clearTimeout(timer);
    process.off("uncaughtException", crash);
    clients.forEach((c) => c.disconnect());
    await instance!.close().catch(() => undefined);
  }
}

/** Runs a scenario on the reference and on each target at once, and judges each target against it. */
export async function judgeScenario(scenario: Scenario, targets: Target[]): Promise<Outcome[]> {
  // each run has its own servers, clients and prefix, and mostly waits on the network: side by
  // side they take the time of the slowest, not the sum (the suite must stay within minutes).
  // An uncaught exception then fails all of them: it cannot tell whose it was
  const [ref, ...results] = await Promise.all([reference, ...targets].map((t) => runScenario(scenario, t)));
  if (ref.error) {
    // a scenario that fails on plain Socket.IO is a broken scenario, not a finding
    return targets.map((t) => ({ scenario, target: t.name, verdict: "broken", detail: `on socket.io: ${ref.error}` }));
  }
  const outcomes: Outcome[] = [];
  for (const [i, target] of targets.entries()) {
    const res = results[i];
    const same = !res.error && isDeepStrictEqual(res.observed, ref.observed);
    if (same) {
      outcomes.push({ scenario, target: target.name, verdict: "pass" });
      continue;
    }
    const reason = allowed(scenario, target.name);
    const detail = res.error
      ? `error: ${res.error}`
      : `expected ${preview(ref.observed)}, got ${preview(res.observed)}`;
    outcomes.push({ scenario, target: target.name, verdict: reason ? "allowed" : "fail", detail: reason ? `${reason} (${detail})` : detail });
  }
  return outcomes;
}

/** Buffers and typed arrays compare by content; undefined properties vanish, as in JSON. */
function normalize(value: unknown): unknown {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array || value instanceof ArrayBuffer) {
    return { $binary: Buffer.from(value as Uint8Array).toString("base64") };
  }
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Error) return { $error: value.message };
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = normalize(v);
    return out;
  }
  return value;
}

/** Diffs are cut at 300 characters; COMPAT_PREVIEW_CHARS=0 shows them whole. */
const PREVIEW_CHARS = Number(process.env.COMPAT_PREVIEW_CHARS ?? 300) || Infinity;

function preview(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? "undefined" : s.length > PREVIEW_CHARS ? s.slice(0, PREVIEW_CHARS) + "…" : s;
}
