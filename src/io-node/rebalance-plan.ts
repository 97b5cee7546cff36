/** One connection to move, from the app-node that owns it to one that holds less than its share. */
export interface Move {
  connId: string;
  from: string;
  to: string;
}

/** What one live app-node owns of an io-node's connections. */
export interface OwnedConnections {
  /** Every connection of the io-node it owns (or is about to, for a move under way). */
  count: number;
  /** Those that may move now (recoverable, not moving already), in the order to move them. */
  movable: string[];
}

/**
 * Which of an io-node's connections to move so that each live app-node owns its fair share of
 * them: `total / apps`, the remainder going one each to the app-nodes that own the most already
 * (so that a balanced cluster moves nothing, and no connection goes back and forth). Moves go from
 * the most loaded app-node to the least loaded, at most `limit` of them. Pure: the rebalancer
 * calls it with what the io-node holds.
 *
 * @example
 * planMoves(new Map([["app-a", { count: 4, movable: ["c1", "c2", "c3", "c4"] }], ["app-b", { count: 0, movable: [] }]]), 10);
 * // [{ connId: "c1", from: "app-a", to: "app-b" }, { connId: "c2", from: "app-a", to: "app-b" }]
 */
export function planMoves(owners: ReadonlyMap<string, OwnedConnections>, limit: number): Move[] {
  const apps = [...owners.keys()];
  if (apps.length < 2 || limit <= 0) return [];
  let total = 0;
  for (const o of owners.values()) total += o.count;
  // most loaded first; ids break ties, so every run agrees on who keeps the remainder
  apps.sort((a, b) => owners.get(b)!.count - owners.get(a)!.count || (a < b ? -1 : a > b ? 1 : 0));
  const base = Math.floor(total / apps.length);
  const extra = total % apps.length;
  const surplus: Array<{ id: string; left: number; next: number }> = [];
  const deficit: Array<{ id: string; left: number }> = [];
  apps.forEach((id, i) => {
    const share = base + (i < extra ? 1 : 0);
    const diff = owners.get(id)!.count - share;
    if (diff > 0) surplus.push({ id, left: diff, next: 0 });
    else if (diff < 0) deficit.unshift({ id, left: -diff });
  });
  // `deficit` is least loaded first now
  const moves: Move[] = [];
  let d = 0;
  for (const s of surplus) {
    const movable = owners.get(s.id)!.movable;
    while (s.left > 0 && s.next < movable.length && d < deficit.length && moves.length < limit) {
      moves.push({ connId: movable[s.next++], from: s.id, to: deficit[d].id });
      s.left--;
      if (--deficit[d].left === 0) d++;
    }
  }
  return moves;
}
