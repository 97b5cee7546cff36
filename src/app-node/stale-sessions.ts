import type { NodeRegistry } from "../cluster/node-registry";
import { clearTimeout, setTimeout } from "../clock";
import { debug as makeDebug } from "../log";
import type { SessionSnapshots } from "./session-snapshots";
import type { Transport } from "../transport/transport";
import { privateSessionId } from "../socketio-shim";

const debug = makeDebug("stale-sessions");

/**
 * What became of the live socket a recovery claim names: there was none (here), it was retired
 * (its io-node stopped answering; its session is stored), or its io-node is alive (the claim is refused).
 */
export type ClaimVerdict = "none" | "retired" | "alive";

/** An io-node silent for this many heartbeat intervals has stopped answering (well before `nodeTimeout`). */
export const SILENT_HEARTBEATS = 2.5;

/** What is read of a socket of the namespace. */
interface LiveSocket {
  conn?: { ioNodeId?: string; readyState?: string; _onClose?(reason: string, description?: { message: string; error: boolean }): void };
}

export interface StaleSessionsOptions {
  heartbeatInterval: number;
  nodeTimeout: number;
}

/**
 * When a client whose io-node died comes back through another io-node, it asks to recover its
 * session (auth `pid` + `offset`) while the app-nodes still hold its old socket: nothing told them
 * yet, the io-node's heartbeat lapses only after `nodeTimeout`. Restored then, two live sockets
 * would share one id. So a claim first settles the old socket, wherever it lives:
 *
 * - its io-node stopped answering (its process is gone: the direct link's address, which welcomed
 *   this app-node before, refuses connections; or no heartbeat moved for {@link SILENT_HEARTBEATS}
 *   intervals, as this app-node's registry saw it): the socket is closed as a lost transport ("transport close"),
 *   which stores its session with its last rooms and data, and the claim waits for that write;
 * - its io-node answers (two heartbeats moved since the claim came; one may have been written just
 *   before a death): the claim is refused, the client gets a new session.
 *
 * The decision is taken where the socket lives, before any session is read, so a claim never
 * restores an older snapshot of a socket that is still live.
 *
 * @example
 * const verdict = await stale.settleLocal(pid); // "none" | "retired" | "alive"
 */
export class StaleSessions {
  /** Claims being settled here, by pid: a second claim for the same pid waits for the first. */
  private readonly settling = new Map<string, Promise<ClaimVerdict>>();
  /** Judgements under way, by io-node: the claims of one dead io-node's clients share one. */
  private readonly judging = new Map<string, Promise<"silent" | "alive">>();
  private readonly silence: number;
  /** After this, the registry has decided anyway; a verdict still open then is "alive" (refuse). */
  private readonly patience: number;

  constructor(
    private readonly nsp: { name: string; sockets: Map<string, LiveSocket> },
    private readonly registry: NodeRegistry,
    private readonly snapshots: SessionSnapshots,
    opts: StaleSessionsOptions,
    private readonly transport?: Pick<Transport, "peerGone" | "onPeerGone">,
  ) {
    this.silence = SILENT_HEARTBEATS * opts.heartbeatInterval;
    this.patience = opts.nodeTimeout + 2 * opts.heartbeatInterval;
  }

  /** How long settling a claim may take, at most (for a peer waiting for this app-node's verdict). */
  get maxWait(): number {
    return this.patience;
  }

  /**
   * Settles the socket of this namespace on this app-node whose private id is `pid`, if any.
   * Resolves once its session write (if it was retired) is done; with "none", once any session
   * write of that pid still on its way is done, so a reader elsewhere sees it.
   *
   * @example
   * if ((await stale.settleLocal(pid)) === "alive") return null; // refuse the claim
   */
  settleLocal(pid: string): Promise<ClaimVerdict> {
    let pending = this.settling.get(pid);
    if (!pending) {
      pending = this.settle(pid).finally(() => this.settling.delete(pid));
      this.settling.set(pid, pending);
    }
    return pending;
  }

  private async settle(pid: string): Promise<ClaimVerdict> {
    const socket = this.find(pid);
    const conn = socket?.conn;
    if (!socket || !conn || conn.readyState !== "open" || typeof conn.ioNodeId !== "string") {
      await this.snapshots.written(pid);
      return "none";
    }
    const ioNodeId = conn.ioNodeId;
    debug("claim for a live session of %s: judging io-node %s", this.nsp.name, ioNodeId);
    if ((await this.judgeShared(ioNodeId)) === "alive") {
      return "alive";
    }
    // closing the connection closes its sockets in every namespace; each stores its session
    if (conn.readyState === "open") conn._onClose?.("transport close", { message: `io-node ${ioNodeId} stopped answering`, error: false });
    await this.snapshots.written(pid);
    debug("stale socket of io-node %s retired, session stored", ioNodeId);
    return "retired";
  }

  private find(pid: string): LiveSocket | undefined {
    for (const socket of this.nsp.sockets.values()) if (privateSessionId(socket) === pid) return socket;
    return undefined;
  }

  private judgeShared(ioNodeId: string): Promise<"silent" | "alive"> {
    let pending = this.judging.get(ioNodeId);
    if (!pending) {
      pending = this.judge(ioNodeId).finally(() => this.judging.delete(ioNodeId));
      this.judging.set(ioNodeId, pending);
    }
    return pending;
  }

  /**
   * Whether an io-node stopped answering, decided on the registry's reads only (after a blind spot
   * of this app-node, nobody is judged silent on it).
   */
  judge(ioNodeId: string): Promise<"silent" | "alive"> {
    const registry = this.registry;
    return new Promise((resolve) => {
      const since = registry.lastPolled();
      let lastSeq = registry.get(ioNodeId)?.seq;
      let moves = 0;
      // a direct link that finds the io-node's address refusing connections knows at once
      const offGone = this.transport?.onPeerGone?.((nodeId) => {
        if (nodeId === ioNodeId) done("silent", "its link address refuses connections");
      });
      const done = (verdict: "silent" | "alive", why: string) => {
        offGone?.();
        registry.off("polled", check);
        clearTimeout(timer);
        debug("io-node %s %s: %s", ioNodeId, verdict, why);
        resolve(verdict);
      };
      const check = () => {
        if (this.transport?.peerGone?.(ioNodeId)) return done("silent", "its link address refuses connections");
        const record = registry.get(ioNodeId);
        if (!record) {
          // a connection came from it, so it was there: not read yet (it just started), or long gone
          if (registry.lastPolled() - since > this.silence) done("silent", "not in the registry");
          return;
        }
        if (!registry.isAlive(ioNodeId)) return done("silent", "declared dead by the registry");
        if (lastSeq === undefined) lastSeq = record.seq;
        if (record.seq !== lastSeq) {
          lastSeq = record.seq;
          // a dead node's last heartbeats all show in one read; a live one's in read after read
          if (++moves >= 2) return done("alive", "heartbeats moved in two reads");
        }
        const silentFor = registry.lastPolled() - (registry.lastHeard(ioNodeId) ?? 0);
        if (silentFor > this.silence) done("silent", `no heartbeat for ${silentFor} ms of reads`);
      };
      const timer = setTimeout(() => done("alive", "undecided: the registry could not be read"), this.patience);
      registry.on("polled", check);
      check();
    });
  }

}
