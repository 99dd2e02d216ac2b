import type { Resources } from '../protocol/index.ts';
import { fits } from '../scheduler/resources.ts';
import type { NodeRecord } from './cluster-state.ts';

/**
 * Chooses a node for a request: among alive nodes with the free resources, prefer one with an
 * idle worker (no process start), then the one with the most free CPU (spreads load).
 */
export function chooseNode(
  nodes: Iterable<NodeRecord>,
  request: Resources,
  wantIdleWorker: boolean,
): NodeRecord | undefined {
  let best: NodeRecord | undefined;
  let bestScore = -Infinity;
  for (const node of nodes) {
    if (!node.alive || node.recovering || !fits(request, node.available)) continue;
    const score = (wantIdleWorker && node.idleWorkers.length > 0 ? 1e9 : 0) + (node.available.CPU ?? 0);
    if (score > bestScore) {
      best = node;
      bestScore = score;
    }
  }
  return best;
}

/** True when some alive node could ever hold the request (by its total resources). */
export function feasible(nodes: Iterable<NodeRecord>, request: Resources): boolean {
  for (const node of nodes) if (node.alive && fits(request, node.total)) return true;
  return false;
}
