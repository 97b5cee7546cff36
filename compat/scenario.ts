import type { Server as SocketIOServer, ServerOptions } from "socket.io";
import type { ManagerOptions, Socket as ClientSocket, SocketOptions } from "socket.io-client";

/** What a scenario's client side can do on any target. */
export interface CompatContext {
  /** The target's name ("socket.io", "embedded", "redis-colocated", "split"). */
  readonly target: string;
  /** How many io-nodes the clients can reach (2 on "split", 1 elsewhere). */
  readonly nodes: number;
  /**
   * The app-node servers running the scenario's setup (2 on "split", 1 elsewhere). Server-side
   * calls made on `servers[0]` reach sockets owned by the other app-node on "split".
   */
  readonly servers: SocketIOServer[];
  /** Base URL (http://host:port) of io-node `node` (default: round robin over the io-nodes). */
  url(node?: number): string;
  /** Connects a client to namespace `nsp` and resolves once it is connected. */
  connect(nsp?: string, opts?: ClientOptions): Promise<ClientSocket>;
  /** A client that is not awaited (for connect errors and reconnections). */
  client(nsp?: string, opts?: ClientOptions): ClientSocket;
  /** Objects the scenario's server code filled in (`setup`'s `shared`). */
  readonly shared: Shared;
  /**
   * Closes every server of the target (`io.close()`, io-nodes too), then starts them again on the
   * same ports with `setup` run anew; `servers` then lists the new ones. Clients are left alone.
   */
  restart(): Promise<void>;
}

export type ClientOptions = Partial<ManagerOptions & SocketOptions> & { node?: number };

/** A scratch object shared by every app-node of a run and its client side. */
export type Shared = Record<string, any>;

export interface Scenario {
  /** Group in the report: "connect", "namespaces", "middleware", "emit", "broadcast", ... */
  group: string;
  name: string;
  /** Socket.IO server options (Engine.IO ones are given to io-nodes on "split"). */
  serverOptions?: Partial<ServerOptions>;
  /** Runs on every app-node, like the application code of a real deployment. */
  setup?(io: SocketIOServer, shared: Shared, appIndex: number): void | Promise<void>;
  /**
   * The client side. Resolves with observations (JSON-able; Buffers allowed): a target passes when
   * its observations deep-equal the reference's (plain socket.io). Observe facts, not ids or times.
   */
  run(ctx: CompatContext): Promise<unknown>;
  /** ms for one run on one target. @default 10000 */
  timeout?: number;
}

/** Declares a group of scenarios. */
export function scenarios(group: string, list: Array<Omit<Scenario, "group">>): Scenario[] {
  return list.map((s) => ({ ...s, group }));
}
