/**
 * The contract between tfjs and a collective group. `TensorReducer` is the slice of
 * @manta/core's CollectiveGroup this folder needs, so any group (or a fake in tests) fits.
 */
import type { NamedTensorMap, Tensor } from '@tensorflow/tfjs';
import type { StagingBuffers } from './staging.ts';

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
  /** The active backend's name and instance: lets reads and buffer reuse take faster paths. */
  getBackend?(): string;
  backend?(): unknown;
}

export interface AllReduceTensorsOptions {
  /** Bytes read from tensors and sent per bucket; default 25 MB (DDP's default). */
  bucketBytes?: number;
  /**
   * Host buffers to reuse across calls (one per bucket) where the backend copies values into
   * new tensors; the caller keeps one per repeated all-reduce of the same tensor list.
   */
  staging?: StagingBuffers;
}

export interface GradientAveragerOptions extends AllReduceTensorsOptions {
  /** Dispose the gradients given to `average` once they are read (default false). */
  disposeInputs?: boolean;
}

export type { NamedTensorMap, Tensor };
