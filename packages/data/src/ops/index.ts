export { aggregateFn, aggregateName, singleRow } from './aggregate.ts';
export { fromBatch, toBatch } from './batch_format.ts';
export type { BatchCallable, BatchClass, BatchFn, MapBatchesSpec } from './map_batches.ts';
export { isClass, mapBatchesFn } from './map_batches.ts';
export type { RemoteTarget } from './remote_target.ts';
export {
  descriptorOf,
  isRemoteTarget,
  registerBatchClass,
  resolveDescriptor,
  resolveTarget,
  targetName,
} from './remote_target.ts';
export { filterRowsFn, flatMapRowsFn, mapRowsFn } from './rows.ts';
export { permutation, repartitionFn, rng, shuffleFn, splitEvenly } from './shuffle.ts';
export { compareValues, sortedOrder, sortFn } from './sort.ts';
export type { StageSpec } from './stage_spec.ts';
export { blockFnOf } from './stage_spec.ts';
export type {
  AggregateSpec,
  AllToAllFn,
  Batch,
  BatchOutput,
  BlockFn,
  ColumnBatch,
  TaskContext,
  TensorBatch,
} from './types.ts';
export { BatchFormat } from './types.ts';
export { zipBlocks } from './zip.ts';
