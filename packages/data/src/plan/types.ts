import type { AllToAllFn, BlockFn, StageSpec } from '../ops/index.ts';
import type { Datasource } from '../source/index.ts';

/**
 * The logical plan: an immutable tree built lazily by Dataset methods and handed whole to an
 * Executor. Every operator is a pure function over blocks (see ops/), so any executor, local
 * or core-backed, can run the same plan.
 */
export type PlanNode =
  | { readonly kind: 'read'; readonly source: Datasource }
  /**
   * One block in, one block out (map, flatMap, filter: fused row loops). `remote` is set when
   * the function can be found by a worker process (a core `remote()` function).
   */
  | {
      readonly kind: 'oneToOne';
      readonly name: string;
      readonly input: PlanNode;
      readonly fn: BlockFn;
      readonly remote?: StageSpec;
    }
  /** Bundles of `batchSize` rows, run on `concurrency` workers, each keeping its own instances. */
  | {
      readonly kind: 'mapBatches';
      readonly name: string;
      readonly input: PlanNode;
      readonly fn: BlockFn;
      readonly batchSize: number | undefined;
      readonly concurrency: number;
      /** Tasks (stateless) or a pool of actors, each constructing a class once. */
      readonly compute: ComputeStrategy;
      /** Resources each task or actor holds on a cluster. */
      readonly resources: { readonly numCpus?: number; readonly numGpus?: number };
      readonly remote?: StageSpec;
    }
  | { readonly kind: 'limit'; readonly input: PlanNode; readonly n: number }
  /** A barrier: needs every input block (shuffle, sort, repartition, aggregate). */
  | { readonly kind: 'allToAll'; readonly name: string; readonly input: PlanNode; readonly fn: AllToAllFn }
  | { readonly kind: 'union'; readonly inputs: readonly PlanNode[] }
  | { readonly kind: 'zip'; readonly left: PlanNode; readonly right: PlanNode };

/** How a mapBatches stage runs: as tasks, or on a fixed pool of `size` long-lived actors. */
export type ComputeStrategy = { readonly kind: 'tasks' } | { readonly kind: 'actors'; readonly size: number };

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
