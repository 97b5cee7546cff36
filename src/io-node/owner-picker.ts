import type { NodeRecord } from "../cluster/node-registry";

/**
 * Chooses the app-node that will own a new connection.
 *
 * @example
 * const picker = new OwnerPicker("least-loaded");
 * const owner = picker.pick(registry.alive("app")); // undefined when no app-node is alive
 * - round-robin: the live app-nodes in turn (sorted by id, so every io-node walks the same ring);
 * - least-loaded: the fewest connections by the last heartbeat, counting what this io-node handed
 *   out since, so a burst of connections does not all land on the same app-node.
 */
export class OwnerPicker {
  // io-nodes start the ring at different places, so their first connections spread too
  private next = Math.floor(Math.random() * 1024);
  private readonly handedOut = new Map<string, number>();

  constructor(private readonly strategy: "round-robin" | "least-loaded") {}

  pick(candidates: NodeRecord[]): string | undefined {
    if (candidates.length === 0) return undefined;
    if (this.strategy === "least-loaded") {
      let best: NodeRecord | undefined;
      let bestLoad = Infinity;
      for (const c of candidates) {
        // a record not read from the registry yet (the co-located stand-in) has no load: count it empty
        const held = Number.isFinite(c.connections) ? c.connections : 0;
        const load = held + (this.handedOut.get(c.id) ?? 0);
        if (!best || load < bestLoad) {
          best = c;
          bestLoad = load;
        }
      }
      this.handedOut.set(best!.id, (this.handedOut.get(best!.id) ?? 0) + 1);
      return best!.id;
    }
    const ring = candidates.map((c) => c.id).sort();
    return ring[this.next++ % ring.length];
  }

  /** A connection went to `id` otherwise than by {@link pick} (a rebalancing move): it counts too. */
  handedTo(id: string): void {
    this.handedOut.set(id, (this.handedOut.get(id) ?? 0) + 1);
  }

  /** A fresh heartbeat of `id` counts what it holds now. */
  refreshed(id: string): void {
    this.handedOut.delete(id);
  }
}
