/**
 * The fault suite's figures: each case records what it measured in test/faults/results.json
 * (one entry per fault, replaced by the next run), which `node scripts/fault-table.mjs` prints as
 * the README's reliability table.
 */
import { existsSync, readFileSync, writeFileSync } from "fs";
import { cpus, hostname } from "os";
import { join } from "path";

export interface StreamFigures {
  /** Deliveries expected: ticks issued × clients. */
  sent: number;
  /** Deliveries that arrived at least once. */
  delivered: number;
  lost: number;
  /** Extra arrivals of a tick already received. */
  duplicated: number;
  /** Of the lost ones, those issued after the client (re)joined the room. */
  lostAfterRejoin: number;
}

export interface FaultFigures {
  fault: string;
  clients: number;
  /**
   * Client events: sent, acked, delivered (handler ran at least once), extra handler runs; acked
   * but never handled; sent after the client's last disconnect and never acked; and the acks still
   * awaited when it disconnected (Socket.IO drops those: the events were in flight).
   */
  events: {
    sent: number;
    acked: number;
    delivered: number;
    lost: number;
    duplicated: number;
    ackedNotHandled: number;
    unackedAfterDisconnect: number;
    pendingAtDisconnect: number;
  };
  broadcasts: StreamFigures;
  /** Clients that saw at least one `disconnect`, and how many they saw in all. */
  clientsDisconnected: number;
  disconnects: number;
  reconnects: number;
  /** Reconnections that restored the session (`socket.recovered`). */
  recoveries: number;
  /** Longest silence of the broadcast stream at any client (ms). */
  maxGapMs: number;
  /** Longest wait of a client for the ack of a `load` event (ms). */
  maxAckMs: number;
  /** Whether every client received `afterTicks` more ticks after the fault. */
  streamResumed?: boolean;
  /** How long the load ran (ms). */
  loadMs: number;
}

export const RESULTS_FILE = join(__dirname, "results.json");

/** Stores a case's figures, with when and where they were measured. */
export function record(figures: FaultFigures): void {
  let all: Record<string, unknown> = {};
  if (existsSync(RESULTS_FILE)) {
    try {
      all = JSON.parse(readFileSync(RESULTS_FILE, "utf8"));
    } catch {
      all = {};
    }
  }
  all[figures.fault] = {
    ...figures,
    at: new Date().toISOString(),
    machine: `${hostname()}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, Node ${process.version}`,
  };
  writeFileSync(RESULTS_FILE, JSON.stringify(all, null, 2) + "\n");
}
