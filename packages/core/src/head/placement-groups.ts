import type { Msg } from 'nats';
import { type PlacementStrategy, placeBundles } from '../placement/bundles.ts';
import type { Resources } from '../protocol/index.ts';
import { add, fits, subtract } from '../scheduler/resources.ts';
import type { NodeRecord } from './cluster-state.ts';
import type { StoredGroup } from './state-store.ts';

export interface GroupRecord {
  groupId: string;
  name?: string;
  bundles: Resources[];
  strategy: PlacementStrategy;
  state: 'PENDING' | 'CREATED' | 'REMOVED';
  /** Bumped each time the group is (re)placed, so late releases of an old placement go to the node. */
  generation: number;
  nodeIds: string[];
  /** Free part of each bundle's reservation. */
  available: Resources[];
  waiters: Msg[];
}

/** Where a job's resources came from, so they go back to the same place. */
export interface BundleClaim {
  groupId: string;
  index: number;
  generation: number;
}

export type Claim = { nodeId: string; claim: BundleClaim } | 'wait' | { error: string };

/**
 * Placement groups: bundles of resources reserved atomically (all or none) across nodes by a
 * strategy, then handed out to the tasks and actors scheduled into them.
 */
export class PlacementGroups {
  readonly groups = new Map<string, GroupRecord>();

  create(groupId: string, bundles: Resources[], strategy: PlacementStrategy, name?: string): GroupRecord {
    const record: GroupRecord = {
      groupId,
      name,
      bundles,
      strategy,
      state: 'PENDING',
      generation: 0,
      nodeIds: [],
      available: [],
      waiters: [],
    };
    this.groups.set(groupId, record);
    return record;
  }

  /** A group as a restarted head found it stored; the free part of its bundles is rebuilt later. */
  restore(stored: StoredGroup): GroupRecord {
    const record: GroupRecord = {
      ...stored,
      bundles: stored.bundles.map((b) => ({ ...b })),
      nodeIds: [...stored.nodeIds],
      available: stored.state === 'CREATED' ? stored.bundles.map(() => ({})) : [],
      waiters: [],
    };
    this.groups.set(stored.groupId, record);
    return record;
  }

  /** The durable part of a group (undefined once removed). */
  stored(groupId: string): StoredGroup | undefined {
    const g = this.groups.get(groupId);
    if (!g || g.state === 'REMOVED') return undefined;
    const { name, bundles, strategy, state, generation, nodeIds } = g;
    return { groupId, name, bundles, strategy, state, generation, nodeIds };
  }

  /** True when the bundles could fit the cluster's total resources at all. */
  feasible(nodes: NodeRecord[], bundles: Resources[], strategy: PlacementStrategy): boolean {
    const totals = nodes.filter((n) => n.alive).map((n) => ({ nodeId: n.nodeId, free: n.total }));
    return placeBundles(totals, bundles, strategy) !== undefined;
  }

  /** Reserves every pending group that fits now; returns the groups that became CREATED. */
  placePending(nodes: Map<string, NodeRecord>): GroupRecord[] {
    const created: GroupRecord[] = [];
    for (const group of this.groups.values()) {
      if (group.state !== 'PENDING') continue;
      const alive = [...nodes.values()]
        .filter((n) => n.alive && !n.recovering)
        .map((n) => ({ nodeId: n.nodeId, free: n.available }));
      const placement = placeBundles(alive, group.bundles, group.strategy);
      if (!placement) continue;
      placement.forEach((nodeId, i) => {
        subtract(nodes.get(nodeId)!.available, group.bundles[i]);
      });
      group.nodeIds = placement;
      group.available = group.bundles.map((b) => ({ ...b }));
      group.state = 'CREATED';
      group.generation++;
      created.push(group);
    }
    return created;
  }

  /** Takes `request` out of a bundle (a given one, or any when index is -1). */
  claim(groupId: string, index: number, request: Resources): Claim {
    const group = this.groups.get(groupId);
    if (!group || group.state === 'REMOVED')
      return { error: `placement group ${groupId} does not exist or was removed` };
    if (index >= group.bundles.length) {
      return {
        error: `placement group ${groupId} has ${group.bundles.length} bundles; bundle ${index} does not exist`,
      };
    }
    const candidates = index >= 0 ? [index] : group.bundles.map((_, i) => i);
    if (!candidates.some((i) => fits(request, group.bundles[i]))) {
      return { error: `no bundle of placement group ${groupId} is large enough for the request` };
    }
    if (group.state !== 'CREATED') return 'wait';
    const chosen = candidates.find((i) => fits(request, group.available[i]));
    if (chosen === undefined) return 'wait';
    subtract(group.available[chosen], request);
    return { nodeId: group.nodeIds[chosen], claim: { groupId, index: chosen, generation: group.generation } };
  }

  /** Gives a claim's resources back: to its bundle while that placement stands, else to the node. */
  release(claim: BundleClaim, resources: Resources, nodes: Map<string, NodeRecord>, nodeId: string): void {
    const group = this.groups.get(claim.groupId);
    if (group && group.state === 'CREATED' && group.generation === claim.generation)
      add(group.available[claim.index], resources);
    else {
      const node = nodes.get(nodeId);
      if (node) add(node.available, resources);
    }
  }

  /** Ends a group: the unused part of each bundle goes back to its node. */
  remove(groupId: string, nodes: Map<string, NodeRecord>): GroupRecord | undefined {
    const group = this.groups.get(groupId);
    if (!group || group.state === 'REMOVED') return undefined;
    this.unreserve(group, nodes);
    group.state = 'REMOVED';
    return group;
  }

  /** Groups with a bundle on a dead node go back to PENDING, to be placed again. */
  onNodeDead(nodeId: string, nodes: Map<string, NodeRecord>): GroupRecord[] {
    const affected: GroupRecord[] = [];
    for (const group of this.groups.values()) {
      if (group.state !== 'CREATED' || !group.nodeIds.includes(nodeId)) continue;
      this.unreserve(group, nodes);
      group.state = 'PENDING';
      affected.push(group);
    }
    return affected;
  }

  private unreserve(group: GroupRecord, nodes: Map<string, NodeRecord>): void {
    if (group.state !== 'CREATED') return;
    group.nodeIds.forEach((nodeId, i) => {
      const node = nodes.get(nodeId);
      if (node?.alive) add(node.available, group.available[i]);
    });
    group.available = [];
    group.generation++;
  }

  status() {
    return [...this.groups.values()]
      .filter((g) => g.state !== 'REMOVED')
      .map((g) => ({
        groupId: g.groupId,
        name: g.name,
        state: g.state,
        strategy: g.strategy,
        bundles: g.bundles,
        nodeIds: g.nodeIds,
      }));
  }
}
