// Sibling-package face of @manta/data: what a core-backed executor (and @manta/train) needs to
// run plans remotely: the plan tree, the pure block operators, block helpers and the budget.
export { blockBytes, blockRows, concatBlocks, rowAt, sliceBlock, takeRows } from './block/index.ts';
export { batchesOf, rowsOf, splitBlocks } from './dataset/index.ts';
export { emptyStats, InFlightBudget, LocalTaskContext } from './executor/index.ts';
export {
  expandPaths,
  fileSystemFor,
  type ResolvedS3Config,
  resolveS3Config,
  type S3Options,
} from './fs/index.ts';
export type { AllToAllFn, BlockFn } from './ops/index.ts';
export {
  aggregateFn,
  filterRowsFn,
  flatMapRowsFn,
  fromBatch,
  mapBatchesFn,
  mapRowsFn,
  repartitionFn,
  shuffleFn,
  sortFn,
  toBatch,
  zipBlocks,
} from './ops/index.ts';
export type { PlanNode } from './plan/index.ts';
export { describePlan } from './plan/index.ts';
export { encodeCsv, encodeJsonl, encodeParquet } from './write/index.ts';
