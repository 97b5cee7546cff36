import type { NodeRecord } from "../cluster/node-registry";
import { debug as makeDebug, warn } from "../log";
import type { ResolvedClusterOptions } from "../options";
import type { Payload } from "../protocol/frame";
import { connectPacket, packetType, SioType } from "../protocol/socketio-peek";
import { clearTimeout, setTimeout } from "../clock";
import { FrameSink, LocalAppLink } from "./app-link";
import type { ClientIntake } from "./client-intake";
import type { HeldConnection } from "./held-connection";
import { IoNodeShared, PRESENCE_WAIT_MS } from "./io-node-shared";
import { OwnerPicker } from "./owner-picker";
import { Rebalancer } from "./rebalancer";
import type { Move, OwnedConnections } from "./rebalance-plan";

const debug = makeDebug("io-node");

/**
 * Who owns each held connection: the owner chosen when it opens, kept while the app-node lives,
 * changed when it dies (the connection re-homed with what it had sent no receipt for) or when the
 * rebalancer moves it (released by the old owner, then restored on the new one).
 */
export class Ownership {
  private readonly picker: OwnerPicker;
  /** Spreads the connections over the app-nodes as they join (absent when `rebalance: false`). */
  private rebalancer?: Rebalancer;
  private local?: { appId: string; sink: FrameSink };

  /** @param pendingTimeout ms a connection may wait for a live app-node before it is closed */
  constructor(
    private readonly node: IoNodeShared,
    private readonly intake: Pick<ClientIntake, "flushPending" | "discardWindows">,
    cluster: ResolvedClusterOptions,
    private readonly pendingTimeout: number,
  ) {
    this.picker = new OwnerPicker(cluster.ownerStrategy);
    if (cluster.rebalance) {
      this.rebalancer = new Rebalancer(
        { owners: () => this.owners(), move: (m) => this.move(m) },
        cluster.rebalance.maxPerSecond,
      );
    }
    const registry = node.registry;
    registry.on("up", (r: NodeRecord) => this.onNodeUp(r));
    registry.on("change", (r: NodeRecord) => {
      if (r.role !== "app") return;
      this.picker.refreshed(r.id);
      this.rebalancer?.check();
    });
    registry.on("down", (r: NodeRecord) => r.role === "app" && this.onAppDown(r.id));
  }

  /** See `IoNode.attachLocalApp`. */
  attachLocalApp(appId: string, sink: FrameSink, fastPath: boolean): void {
    this.local = { appId, sink };
    // it serves its own app-node only: nothing to spread
    this.rebalancer?.close();
    this.rebalancer = undefined;
    if (fastPath) this.node.links.set(appId, new LocalAppLink(appId, this.node.id, sink));
  }

  private candidates(): NodeRecord[] {
    const apps = this.node.registry.alive("app");
    if (!this.local) return apps;
    // a co-located io-node serves its own app-node; over the fast path it is alive by definition,
    // through the transport it must first have registered
    const own = apps.filter((a) => a.id === this.local!.appId);
    if (own.length > 0 || !(this.node.links.get(this.local.appId) instanceof LocalAppLink)) return own;
    return [{ id: this.local.appId } as NodeRecord];
  }

  /**
   * Hands a connection to a live app-node (`preferred` when it is alive), or leaves it pending
   * until one appears.
   */
  assignOwner(hc: HeldConnection, preferred?: string): void {
    const candidates = this.candidates();
    let owner: string | undefined;
    if (preferred && candidates.some((c) => c.id === preferred)) {
      owner = preferred;
      this.picker.handedTo(owner);
    } else {
      owner = this.picker.pick(candidates);
    }
    if (!owner) {
      hc.state = "pending";
      if (!hc.pendingTimer) {
        hc.pendingTimer = setTimeout(() => {
          warn("no-app-node", `io-node ${this.node.id}: no app-node alive for ${this.pendingTimeout} ms; closing waiting connections`);
          hc.socket.close();
        }, this.pendingTimeout);
      }
      debug("connection %s waits for an app-node", hc.id);
      return;
    }
    clearTimeout(hc.pendingTimer);
    hc.pendingTimer = undefined;
    hc.owner = owner;
    hc.sentInfo = undefined;
    const link = this.node.link(owner);
    // the transport may have been upgraded while the connection waited
    const transport = hc.socket.transport.name;
    link.open(hc.id, hc.handshake(transport));
    if (!hc.rehomed) {
      hc.state = "open";
      this.intake.flushPending(hc);
      return;
    }
    hc.state = "rejoining";
    for (const [nsp, joined] of hc.namespaces) {
      const auth = joined.pid
        ? { ...(isObject(joined.auth) ? joined.auth : {}), pid: joined.pid, offset: joined.offset ?? "" }
        : joined.auth;
      (hc.awaiting ??= new Set()).add(nsp);
      link.data(hc.id, connectPacket(nsp, auth));
    }
    debug("connection %s re-homed to %s, rejoining %d namespace(s)", hc.id, owner, hc.awaiting?.size ?? 0);
    if (!hc.awaiting?.size) {
      hc.state = "open";
      this.intake.flushPending(hc);
    }
  }

  /**
   * An app-node that was silent asks whether the batches of `epoch` are still its own. They are
   * while the link that sent them is the current one; then the app-node also gets a fresh timeout,
   * so it is not judged dead, and its batches replayed elsewhere, after it was told to handle them.
   */
  onEpochCheck(appId: string, epoch: number): void {
    const link = this.node.links.get(appId);
    const current = link !== undefined && link.epoch === epoch;
    if (current) this.node.registry.touch(appId);
    debug("app-node %s asks about epoch %d: %s", appId, epoch, current ? "current" : "re-homed");
    (link ?? this.node.link(appId)).epochStatus(epoch, current);
  }

  private onNodeUp(record: NodeRecord): void {
    if (record.role !== "app") return;
    for (const hc of this.node.connections.values()) {
      if (hc.state === "pending") this.assignOwner(hc);
    }
    this.rebalancer?.check();
  }

  /** What each live app-node owns of the connections held here, for the rebalancer. */
  private owners(): Map<string, OwnedConnections> {
    const owners = new Map<string, OwnedConnections>();
    for (const app of this.node.registry.alive("app")) owners.set(app.id, { count: 0, movable: [] });
    if (owners.size < 2) return owners;
    for (const hc of this.node.connections.values()) {
      const o = owners.get(hc.moveTo ?? hc.owner ?? "");
      if (!o) continue;
      o.count++;
      if (movable(hc)) o.movable.push(hc.id);
    }
    return owners;
  }

  /** A rebalancing move, step 1: the owner is asked to let the connection go; client packets wait. */
  private move(m: Move): void {
    const hc = this.node.connections.get(m.connId);
    if (!hc || hc.owner !== m.from || !movable(hc)) return;
    hc.state = "moving";
    hc.moveTo = m.to;
    debug("moving connection %s from %s to %s", hc.id, m.from, m.to);
    this.node.link(m.from).release(hc.id);
  }

  /**
   * Step 2: the old owner answered, after its last write for the connection. It now restores on
   * the new owner as after a hand-over (a CONNECT with its session id per namespace), the
   * namespaces' broadcasts kept meanwhile (see `recovery-window.ts`) so none is lost or doubled.
   */
  onReleased(from: string, connId: string, released: boolean): void {
    const hc = this.node.connections.get(connId);
    if (!hc || hc.owner !== from || hc.state !== "moving") return;
    // `moveTo` stays until the new owner is chosen: meanwhile the rebalancer counts it there
    const to = hc.moveTo!;
    if (!released) {
      hc.moveTo = undefined;
      debug("connection %s stays on %s", connId, from);
      hc.unmovable = true;
      hc.state = "open";
      this.intake.flushPending(hc);
      return;
    }
    hc.owner = undefined;
    hc.rehomed = true;
    hc.awaiting = undefined;
    for (const [nsp, joined] of hc.namespaces) {
      joined.recovery = this.node.windows.open(hc, nsp, { pid: joined.pid, offset: joined.offset ?? "" });
    }
    void this.node.presence.announceNow(PRESENCE_WAIT_MS).then((published) => {
      if (!published) debug("room presence not confirmed within %d ms; connection %s moves on", PRESENCE_WAIT_MS, connId);
      // closed meanwhile, or its new owner is already chosen (an app-node died in between)
      if (this.node.connections.get(connId) !== hc || hc.owner || this.node.closed()) return;
      hc.moveTo = undefined;
      this.assignOwner(hc, to);
      if (!hc.owner) return;
      this.node.counters.traffic.rehomed++;
      this.node.emit("moved", { connId, from, to: hc.owner });
    });
  }

  /** The owner of some connections died: hand each to a live app-node, replaying what it lost. */
  private onAppDown(appId: string): void {
    const link = this.node.links.get(appId);
    if (link instanceof LocalAppLink) return;
    this.node.links.delete(appId);
    const unreceipted = link?.takeUnreceipted() ?? new Map<string, Payload[]>();
    let moved = 0;
    for (const hc of this.node.connections.values()) {
      if (hc.owner !== appId || hc.closedByApp) continue;
      moved++;
      this.node.counters.traffic.rehomed++;
      hc.owner = undefined;
      hc.moveTo = undefined;
      hc.rehomed = true;
      // the new owner restores nothing of a session the old one had not answered for yet
      this.intake.discardWindows(hc);
      hc.awaiting = undefined;
      const lost = (unreceipted.get(hc.id) ?? []).filter((p) => packetType(p) !== SioType.CONNECT);
      this.node.counters.replayed += lost.length;
      hc.pendingPackets.unshift(...lost);
      this.assignOwner(hc);
    }
    if (moved > 0) warn(`app-down-${appId}`, `io-node ${this.node.id}: app-node ${appId} is gone; re-homed ${moved} connection(s)`);
  }

  /** Stops the rebalancer's timers (the io-node closes). */
  close(): void {
    this.rebalancer?.close();
  }
}

/**
 * Whether a connection may move to another app-node now: open with every namespace confirmed,
 * each with a recoverable session (a private session id), nothing being restored or re-joined.
 */
function movable(hc: HeldConnection): boolean {
  if (hc.state !== "open" || hc.unmovable || hc.closedByApp || hc.waitsForPresence || hc.namespaces.size === 0) return false;
  if (hc.socket.readyState !== "open") return false;
  for (const joined of hc.namespaces.values()) if (!joined.sid || !joined.pid || joined.recovery) return false;
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
