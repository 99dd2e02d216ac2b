import type { AllToAllFn, BlockFn } from '../ops/index.ts';
import type { Datasource } from '../source/index.ts';

/**
 * The logical plan: an immutable tree built lazily by Dataset methods and handed whole to an
 * Executor. Every operator is a pure function over blocks (see ops/), so any executor, local
 * or core-backed, can run the same plan.
 */
export type PlanNode =
  | { readonly kind: 'read'; readonly source: Datasource }
  /** One block in, one block out (map, flatMap, filter: fused row loops). */
  | { readonly kind: 'oneToOne'; readonly name: string; readonly input: PlanNode; readonly fn: BlockFn }
  /** Bundles of `batchSize` rows, run on `concurrency` workers, each keeping its own instances. */
  | {
      readonly kind: 'mapBatches';
      readonly name: string;
      readonly input: PlanNode;
      readonly fn: BlockFn;
      readonly batchSize: number | undefined;
      readonly concurrency: number;
    }
  | { readonly kind: 'limit'; readonly input: PlanNode; readonly n: number }
  /** A barrier: needs every input block (shuffle, sort, repartition, aggregate). */
  | { readonly kind: 'allToAll'; readonly name: string; readonly input: PlanNode; readonly fn: AllToAllFn }
  | { readonly kind: 'union'; readonly inputs: readonly PlanNode[] }
  | { readonly kind: 'zip'; readonly left: PlanNode; readonly right: PlanNode };

/** A short text form of a plan, e.g. `read(readCsv) -> map -> limit(10)`. */
export function describePlan(node: PlanNode): string {
  switch (node.kind) {
    case 'read':
      return `read(${node.source.name})`;
    case 'oneToOne':
    case 'mapBatches':
    case 'allToAll':
      return `${describePlan(node.input)} -> ${node.name}`;
    case 'limit':
      return `${describePlan(node.input)} -> limit(${node.n})`;
    case 'union':
      return `union(${node.inputs.map(describePlan).join(', ')})`;
    case 'zip':
      return `zip(${describePlan(node.left)}, ${describePlan(node.right)})`;
  }
}
