/**
 * Browser test helpers: Debian's Chromium driven by playwright-core (which never downloads a
 * browser of its own), and the example clusters run as real processes.
 */
import { ChildProcess, spawn, spawnSync } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { chromium, BrowserContext, Page } from "playwright-core";
import { waitFor } from "./wait";

export const CHROMIUM = "/usr/bin/chromium";
export const ROOT = join(__dirname, "..", "..");

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Makes sure Debian's Chromium is at /usr/bin/chromium: installs the package `chromium` with
 * apt-get when it is missing and we are root, else throws with what to do.
 */
export function ensureChromium(): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) {
    throw new Error(
      `the browser tests drive Debian's Chromium, and ${CHROMIUM} is missing: install the package "chromium" ` +
        "(sudo apt-get install -y chromium) and run them again.",
    );
  }
  console.log(`[browser] ${CHROMIUM} is missing: installing Debian's "chromium" package with apt-get (a minute or two)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update"], ["install", "-y", "chromium"]]) {
    const r = spawnSync("apt-get", args, { stdio: "inherit", env });
    if (r.status !== 0) throw new Error(`"apt-get ${args.join(" ")}" failed (exit ${r.status ?? r.signal}); cannot install chromium`);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`the package "chromium" was installed but ${CHROMIUM} is still missing`);
  return CHROMIUM;
}

export interface BrowserSession {
  context: BrowserContext;
  /** A new tab; uncaught errors of its scripts are collected in `errors`. */
  newPage(): Promise<Page>;
  /** Uncaught exceptions of every page so far, as "url: message". */
  errors: string[];
  /** Closes every page opened so far. */
  closePages(): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile (removed by `close`). */
export async function launchBrowser(): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), "sioc-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: ensureChromium(),
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 900, height: 600 },
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  const errors: string[] = [];
  return {
    context,
    errors,
    async newPage() {
      const page = await context.newPage();
      page.on("pageerror", (err) => errors.push(`${page.url()}: ${err.message}`));
      return page;
    },
    async closePages() {
      await Promise.all(context.pages().map((page) => page.close()));
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Saves a screenshot to $SOCKET_IO_CLUSTER_SCREENSHOTS/<name>.png when that variable names a
 * directory (to look at the pages while working on them); does nothing otherwise.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.SOCKET_IO_CLUSTER_SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/**
 * Waits until `read()` (evaluated in the page) returns something `accept` likes; throws with
 * the last value read, so a failure shows what the page showed instead.
 */
export async function waitForPage<T>(page: Page, read: () => T, accept: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const shown = await waitFor(async () => ({ value: await page.evaluate(read) }), {
    timeout: timeoutMs,
    every: 50,
    what: `${what} on the page`,
    accept: (last) => accept(last.value),
  });
  return shown.value;
}

// ---------------------------------------------------------------------------------------------
// processes

export interface TestProcess {
  child: ChildProcess;
  /** Everything it wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the match once its output matches `re`; rejects if it exits first. */
  waitForOutput(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after 15 s; resolves once it has exited. */
  stop(): Promise<void>;
}

const running = new Set<TestProcess>();

/** Runs `node args...` in the repository, its output kept for `waitForOutput` and error messages. */
export function startNode(args: string[], env: NodeJS.ProcessEnv = {}): TestProcess {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, SOCKET_IO_CLUSTER_QUIET: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    child.once("exit", () => resolve());
    child.once("error", (err) => {
      out += String(err);
      resolve();
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const proc: TestProcess = {
    child,
    output: () => out,
    async waitForOutput(re, timeoutMs = 30_000) {
      const seen = await waitFor(() => re.exec(out) ?? (gone() ? "exited" : undefined), {
        timeout: timeoutMs,
        every: 50,
        what: `node ${args.join(" ")} to print ${re}`,
      }).catch((err: Error) => {
        throw new Error(`${err.message}:\n${out}`);
      });
      if (seen === "exited") throw new Error(`node ${args.join(" ")} exited (${child.exitCode ?? child.signalCode}) before printing ${re}:\n${out}`);
      return seen;
    },


    async stop() {
      running.delete(proc);
      if (gone()) return;
      const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(kill);
    },
  };
  running.add(proc);
  return proc;
}

/** Stops every process started by `startNode` that is still running. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}
