/**
 * The contract between tfjs and a collective group. `TensorReducer` is the slice of
 * @manta/core's CollectiveGroup this folder needs, so any group (or a fake in tests) fits.
 */
import type { NamedTensorMap, Tensor } from '@tensorflow/tfjs';

export type HostArray = Float32Array | Int32Array;
export type ReduceOpName = 'sum' | 'mean' | 'max' | 'min';

export interface TensorReducer {
  readonly worldSize: number;
  allReduceMany<T extends Float32Array | Float64Array | Int32Array>(
    buffers: T[],
    op?: ReduceOpName,
    options?: { bucketBytes?: number },
  ): Promise<T[]>;
}

/** The part of the tfjs namespace used here (pass `tf`, or '@tensorflow/tfjs' is imported). */
export interface TfLike {
  tensor(values: HostArray, shape: number[], dtype: 'float32' | 'int32'): Tensor;
}

export interface AllReduceTensorsOptions {
  /** Bytes read from tensors and sent per bucket; default 25 MB (DDP's default). */
  bucketBytes?: number;
}

export interface GradientAveragerOptions extends AllReduceTensorsOptions {
  /** Dispose the gradients given to `average` once they are read (default false). */
  disposeInputs?: boolean;
}

export type { NamedTensorMap, Tensor };
