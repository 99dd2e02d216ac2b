// @manta/data: streaming datasets, readers and writers, and ONNX batch inference.

export type {
  Block,
  Column,
  ColumnInput,
  Field,
  NumericDType,
  Row,
  Schema,
  Tensor,
  TypedArray,
} from './block/index.ts';
export { blockFromColumns, blockFromRows, blockSchema, DType } from './block/index.ts';
export type {
  IterBatchesOptions,
  MapBatchesOptions,
  MapBatchesTarget,
  RowTarget,
  StreamingSplitOptions,
  WriteOptions,
} from './dataset/index.ts';
export {
  actorPool,
  agg,
  DataIterator,
  Dataset,
  fromArrays,
  fromItems,
  fromSource,
  GroupedData,
  getDefaultExecutor,
  range,
  readBinaryRecords,
  readCifar10,
  readCsv,
  readJsonl,
  readParquet,
  setDefaultExecutor,
} from './dataset/index.ts';
export {
  DataOperatorError,
  DataReadError,
  DataSchemaError,
  DataUsageError,
  OnnxError,
} from './errors/index.ts';
export type {
  BlockStream,
  CoreExecutorOptions,
  ExecutionStats,
  Executor,
  StreamingLimits,
} from './executor/index.ts';
export { CoreExecutor, StreamingExecutor } from './executor/index.ts';
export type { FileInfo, FileSystem, S3Options } from './fs/index.ts';
export { LocalFileSystem, registerFileSystem, S3FileSystem } from './fs/index.ts';
export type {
  ConvOptions,
  GemmOptions,
  GraphOptions,
  OnnxAttribute,
  OnnxDim,
  OnnxElementType,
  PoolOptions,
} from './onnx/index.ts';
export { attr, OnnxGraphBuilder } from './onnx/index.ts';
export type {
  AggregateSpec,
  Batch,
  BatchOutput,
  ColumnBatch,
  TaskContext,
  TensorBatch,
} from './ops/index.ts';
export { BatchFormat } from './ops/index.ts';
export type { OnnxPredictorOptions } from './predictor/index.ts';
export { OnnxPredictor } from './predictor/index.ts';
export type {
  BinaryRecordsOptions,
  Cifar10Options,
  CsvReadOptions,
  Datasource,
  FileReadOptions,
  ParquetReadOptions,
  ReadTask,
  RecordDecoder,
} from './source/index.ts';
export { CIFAR10_CLASSES, CIFAR10_RECORD_BYTES } from './source/index.ts';
export type { IterTensorBatchesOptions, TensorBatchSource, TfLike } from './tensor/index.ts';
export { iterTensorBatches } from './tensor/index.ts';
