import { relative } from "path";
import type { ManagedChild } from "./child-processes";
import type { DevRedis } from "./dev-redis";

/** A node process of a `dev` cluster and where it listens. */
export interface DevNode {
  role: "app" | "io";
  name: string;
  port: number;
  child: ManagedChild;
  /** Whether it got ready during startup. */
  up: boolean;
  /** Whether it is ready now: listening, and for an io-node, part of the cluster. */
  isReady: () => boolean | Promise<boolean>;
}

/** Prints what `dev` started and the URLs to open. */
export function printDevSummary(appFile: string, redis: DevRedis | undefined, prefix: string, nodes: DevNode[]): void {
  const url = (n: DevNode) => {
    const state = n.up ? "" : n.child.exited ? "  (exited)" : n.role === "app" ? "  (not listening yet: does the app listen on process.env.PORT?)" : "  (not ready yet)";
    return `http://localhost:${n.port}  [${n.name}]${state}`;
  };
  const apps = nodes.filter((n) => n.role === "app");
  const ios = nodes.filter((n) => n.role === "io");
  const lines = [
    "",
    `socket.io-cluster dev: ${relative(process.cwd(), appFile) || appFile}`,
    redis ? `  Redis      ${redis.description}, prefix "${prefix}"` : "  Redis      none: in-memory default, a single process",
    ...apps.map((n, i) => `  ${i === 0 ? "app-nodes " : "          "} ${url(n)}`),
    ...ios.map((n, i) => `  ${i === 0 ? "io-nodes  " : "          "} ${url(n)}`),
    "",
    redis
      ? "Open any of these URLs: every client joins the same cluster. Ctrl-C stops everything."
      : "Open this URL. Ctrl-C stops it.",
    "",
  ];
  console.log(lines.join("\n"));
}
