export type { IterTensorBatchesOptions, TensorBatchSource, TfLike } from './iter_tensor_batches.ts';
export { iterTensorBatches } from './iter_tensor_batches.ts';
