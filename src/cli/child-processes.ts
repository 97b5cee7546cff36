import { ChildProcess, spawn } from "child_process";
import { createInterface } from "readline";
import type { Readable, Writable } from "stream";
import { debug as makeDebug } from "../log";

const debug = makeDebug("cli:children");

/** How long a child may take to stop on SIGTERM before it gets SIGKILL. */
const STOP_GRACE_MS = 6_000;
const COLORS = [36, 35, 33, 32, 34, 31];
/** How long after a child's exit its last output lines may still arrive. */
const LAST_WORDS_MS = 100;
/** Lines of a quiet child's output kept to explain its death. */
const QUIET_LINES_KEPT = 20;

export interface ChildSpec {
  /** Short name, printed before every line of the child's output: `[app-0] ...`. */
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /**
   * Keep the child's output to ourselves unless it exits unexpectedly: then its last lines are
   * printed, to explain why. For chatty helpers such as redis-server.
   */
  quiet?: boolean;
  /** Sees each line the child writes to stdout, e.g. to notice that it is ready. */
  onOutputLine?: (line: string) => void;
}

export interface ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** Whether the process has exited (or failed to start). */
  exited: boolean;
}

/**
 * The processes `dev` runs: their output goes to ours, one prefixed line at a time; an exit
 * nobody asked for is reported through `onUnexpectedExit`; `stop` ends them in order.
 *
 * Each child leads its own process group, so a terminal's Ctrl-C reaches only us and we decide
 * the order (app-nodes and io-nodes before the Redis they need to leave cleanly).
 */
export class ChildProcesses {
  private readonly children: ManagedChild[] = [];
  private stopping = false;

  constructor(private readonly onUnexpectedExit: (child: ManagedChild, description: string) => void) {
    // last resort if we die without a clean stop (an uncaught error): no orphan keeps a port
    process.on("exit", () => {
      for (const child of this.children) if (!child.exited) signalGroup(child, "SIGKILL");
    });
  }

  /** Spawns a child and starts relaying its output. */
  start(spec: ChildSpec): ManagedChild {
    const proc = spawn(spec.command, spec.args, {
      env: spec.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const child: ManagedChild = { name: spec.name, process: proc, exited: false };
    this.children.push(child);
    const prefix = this.prefix(spec.name);
    const recent: string[] = [];
    const print = (to: Writable) => (line: string) => {
      if (!spec.quiet) return to.write(prefix + line + "\n");
      recent.push(line);
      if (recent.length > QUIET_LINES_KEPT) recent.shift();
    };
    onLines(proc.stdout!, print(process.stdout), spec.onOutputLine);
    onLines(proc.stderr!, print(process.stderr));
    const unexpectedExit = (description: string) => {
      if (this.stopping) return;
      // the exit event can come before the last output lines: let them arrive first
      setTimeout(() => {
        for (const line of recent.splice(0)) process.stderr.write(prefix + line + "\n");
        this.onUnexpectedExit(child, description);
      }, LAST_WORDS_MS);
    };
    proc.on("error", (err) => {
      child.exited = true;
      unexpectedExit(`could not start: ${err.message}`);
    });
    proc.on("exit", (code, signal) => {
      child.exited = true;
      debug("%s exited (code %s, signal %s)", spec.name, code, signal);
      unexpectedExit(signal ? `was killed by ${signal}` : `exited with code ${code}`);
    });
    debug("started %s: %s %o (pid %d)", spec.name, spec.command, spec.args, proc.pid);
    return child;
  }

  /** The children still running. */
  running(): ManagedChild[] {
    return this.children.filter((c) => !c.exited);
  }

  /**
   * Stops the children in `waves`: each wave gets SIGTERM together, then SIGKILL after a grace
   * period, and the next wave starts once the previous one is gone. Children in no wave go last.
   */
  async stop(waves: ManagedChild[][] = []): Promise<void> {
    this.stopping = true;
    const listed = new Set(waves.flat());
    const rest = this.children.filter((c) => !listed.has(c));
    for (const wave of [...waves, rest]) await Promise.all(wave.map(stopChild));
  }

  private prefix(name: string): string {
    const label = `[${name}]`;
    if (!process.stdout.isTTY) return `${label} `;
    const color = COLORS[this.children.length % COLORS.length];
    return `\x1b[${color}m${label}\x1b[0m `;
  }
}

function onLines(from: Readable, ...handlers: (((line: string) => void) | undefined)[]): void {
  createInterface({ input: from, crlfDelay: Infinity }).on("line", (line) => {
    for (const handler of handlers) handler?.(line);
  });
}

function stopChild(child: ManagedChild): Promise<void> {
  if (child.exited) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => {
      debug("%s did not stop within %d ms: SIGKILL", child.name, STOP_GRACE_MS);
      signalGroup(child, "SIGKILL");
    }, STOP_GRACE_MS);
    child.process.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    signalGroup(child, "SIGTERM");
  });
}

/** Signals the child's whole process group, so whatever it spawned stops with it. */
function signalGroup(child: ManagedChild, signal: NodeJS.Signals): void {
  const pid = child.process.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      child.process.kill(signal);
    } catch {
      // already gone
    }
  }
}
