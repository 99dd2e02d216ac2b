import type { Resources } from '../protocol/index.ts';
import { fits, subtract } from '../scheduler/resources.ts';

export const PlacementStrategy = {
  Pack: 'PACK',
  Spread: 'SPREAD',
  StrictPack: 'STRICT_PACK',
  StrictSpread: 'STRICT_SPREAD',
} as const;
export type PlacementStrategy = (typeof PlacementStrategy)[keyof typeof PlacementStrategy];

export interface NodeCapacity {
  nodeId: string;
  /** What the node has free now (or in total, for a feasibility check). */
  free: Resources;
}

/**
 * Assigns each bundle to a node, all or nothing, following the strategy; returns the node id
 * of each bundle, or undefined when the bundles do not fit now.
 *   PACK: as few nodes as possible (one if it fits); STRICT_PACK: exactly one node.
 *   SPREAD: as many distinct nodes as possible; STRICT_SPREAD: every bundle on its own node.
 */
export function placeBundles(
  nodes: NodeCapacity[],
  bundles: Resources[],
  strategy: PlacementStrategy,
): string[] | undefined {
  const copy = () => nodes.map((n) => ({ nodeId: n.nodeId, free: { ...n.free } }));
  if (strategy === 'PACK' || strategy === 'STRICT_PACK') {
    for (const node of copy()) {
      const allFit = bundles.every((b) => {
        if (!fits(b, node.free)) return false;
        subtract(node.free, b);
        return true;
      });
      if (allFit) return bundles.map(() => node.nodeId);
    }
    if (strategy === 'STRICT_PACK') return undefined;
    return greedy(copy(), bundles, false);
  }
  return greedy(copy(), bundles, true, strategy === 'STRICT_SPREAD');
}

/** Largest bundles first, each on the node with the most free CPU (not yet used, when spreading). */
function greedy(
  nodes: NodeCapacity[],
  bundles: Resources[],
  spread: boolean,
  strict = false,
): string[] | undefined {
  const order = bundles.map((_, i) => i).sort((a, b) => (bundles[b].CPU ?? 0) - (bundles[a].CPU ?? 0));
  const result: string[] = new Array(bundles.length);
  const used = new Set<string>();
  for (const index of order) {
    const bundle = bundles[index];
    const candidates = nodes.filter((n) => fits(bundle, n.free));
    const fresh = candidates.filter((n) => !used.has(n.nodeId));
    const pool = spread && fresh.length > 0 ? fresh : strict ? [] : candidates;
    if (pool.length === 0) return undefined;
    const chosen = spread
      ? pool.reduce((a, b) => ((b.free.CPU ?? 0) > (a.free.CPU ?? 0) ? b : a))
      : pool.reduce((a, b) => (used.has(b.nodeId) && !used.has(a.nodeId) ? b : a));
    subtract(chosen.free, bundle);
    used.add(chosen.nodeId);
    result[index] = chosen.nodeId;
  }
  return result;
}
