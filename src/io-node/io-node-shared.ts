import type { NodeRegistry } from "../cluster/node-registry";
import type { AppLink } from "./app-link";
import type { HeldConnection } from "./held-connection";
import type { PresenceAnnouncer } from "./presence-announcer";
import type { RecoveryWindows } from "./recovery-window";
import type { RoomIndex } from "./room-index";

/** What an io-node counts: plain increments, read by the heartbeat and the metrics. */
export interface IoCounters {
  /** Relay messages handled, in and out (the heartbeat's rate). */
  messages: number;
  /** Client packets replayed to a new owner (see `IoNode.replayedPackets`). */
  replayed: number;
  /** Client traffic, for the metrics. */
  readonly traffic: { packetsIn: number; packetsOut: number; bytesIn: number; bytesOut: number; rehomed: number; recovered: number };
}

/**
 * What the parts of an io-node share (the client intake, the ownership, the client writes): one
 * object, built and owned by `IoNode`, so each part reads the same connections and links.
 */
export interface IoNodeShared {
  readonly id: string;
  /** The connections held here, by Engine.IO socket id. */
  readonly connections: Map<string, HeldConnection>;
  /** One link per app-node, for everything (REVOKE frames included): one sequence per pair. */
  readonly links: Map<string, AppLink>;
  /** The link to an app-node, made on first use. */
  link(appId: string): AppLink;
  readonly registry: NodeRegistry;
  /** Which held connections are in which rooms, so broadcasts fan out here. */
  readonly rooms: RoomIndex;
  readonly presence: PresenceAnnouncer;
  /** Sessions being restored, and the broadcasts kept for them meanwhile. */
  readonly windows: RecoveryWindows<HeldConnection>;
  readonly counters: IoCounters;
  /** The io-node's events (`joined`, `left`, `moved`), emitted at once. */
  emit(event: "joined" | "left" | "moved", payload: object): void;
  /** Whether `close()` was called. */
  closed(): boolean;
}

/**
 * How long frames may wait for a room's announcement when Redis does not answer. A healthy Redis
 * answers within a millisecond; the bound only matters while Redis is away or the machine is
 * saturated, and a shorter one (200 ms was tried) let confirmed joins miss broadcasts under load.
 */
export const PRESENCE_WAIT_MS = 1_000;
