import { version } from "../../package.json";
import { debug as makeDebug } from "../log";
import { UsageError } from "./args";
import { withoutPrefix } from "../errors";
import { DEV_HELP, runDevCommand } from "./dev-command";
import { IO_NODE_HELP, runIoNodeCommand } from "./io-node-command";
import { FRONTEND_HELP, runFrontendCommand } from "./frontend-command";

const debug = makeDebug("cli");

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void>; help: string; summary: string }> = {
  "io-node": { run: runIoNodeCommand, help: IO_NODE_HELP, summary: "run a standalone io-node that holds client connections" },
  frontend: { run: runFrontendCommand, help: FRONTEND_HELP, summary: "serve pages, the list of live io-nodes and a status page" },
  dev: { run: runDevCommand, help: DEV_HELP, summary: "run an app as a local cluster (app-nodes, io-nodes, Redis)" },
};

const HELP = `Usage: socket.io-cluster <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)} ${c.summary}`)
  .join("\n")}

Run "socket.io-cluster <command> --help" for a command's options.
`;

/**
 * Entry point of the `socket.io-cluster` CLI. Usage errors exit with code 2 and a pointer to
 * `--help`, other failures with code 1; a command that keeps running (a node) exits on a signal.
 */
export async function runCli(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h") return void process.stdout.write(HELP);
  if (name === "--version" || name === "-v") return void console.log(version);
  if (name === "help") {
    const command = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    return void process.stdout.write(command?.help ?? HELP);
  }
  const command = COMMANDS[name];
  if (!command) return fail(2, `socket.io-cluster: unknown command "${name}"\n\n${HELP}`);
  try {
    await command.run(rest);
  } catch (err) {
    debug("%s failed: %O", name, err);
    // the errors' own prefix ("socket.io-cluster: ") gives way to the command's name
    const message = withoutPrefix((err as Error).message);
    if (err instanceof UsageError) return fail(2, `socket.io-cluster ${name}: ${message}\nRun "socket.io-cluster ${name} --help" for usage.`);
    return fail(1, `socket.io-cluster ${name}: ${message}`);
  }
}

function fail(code: number, message: string): void {
  console.error(message);
  process.exit(code);
}
