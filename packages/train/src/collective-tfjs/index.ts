export { allReduceTensors, planTensorBuckets } from './all-reduce-tensors.ts';
export { GradientAverager } from './gradient-averager.ts';
export { StagingBuffers } from './staging.ts';
export type {
  AllReduceTensorsOptions,
  GradientAveragerOptions,
  HostArray,
  ReduceOpName,
  TensorReducer,
  TfLike,
} from './types.ts';
