export { getDefaultExecutor, setDefaultExecutor } from './context.ts';
export {
  fromArrays,
  fromItems,
  fromSource,
  range,
  readBinaryRecords,
  readCifar10,
  readCsv,
  readJsonl,
  readParquet,
} from './create.ts';
export type { MapBatchesTarget, RowTarget } from './dataset.ts';
export { actorPool, Dataset } from './dataset.ts';
export { agg, GroupedData } from './grouped.ts';
export { batchesOf, rowsOf } from './iterate.ts';
export { DataIterator, splitBlocks } from './split.ts';
export type { IterBatchesOptions, MapBatchesOptions, StreamingSplitOptions, WriteOptions } from './types.ts';
