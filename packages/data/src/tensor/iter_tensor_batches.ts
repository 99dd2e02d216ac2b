import type { Tensor } from '../block/index.ts';
import type { IterBatchesOptions } from '../dataset/index.ts';
import type { TensorBatch } from '../ops/index.ts';

/** The part of a tfjs module this needs (`@tensorflow/tfjs`, `-node`, `-node-gpu`); data never imports tfjs. */
export interface TfLike<T> {
  tensor(values: Float32Array | Int32Array | Uint8Array, shape: number[], dtype?: 'float32' | 'int32'): T;
}

/** Anything batches can come from: a Dataset or a streaming-split shard. */
export interface TensorBatchSource {
  iterBatches(options?: IterBatchesOptions): AsyncIterable<unknown>;
}

export interface IterTensorBatchesOptions extends Omit<IterBatchesOptions, 'batchFormat'> {
  /** Columns to convert (default: every numeric column). */
  readonly columns?: readonly string[];
  /** Per-column dtype; default float32, except int32 columns stay int32. */
  readonly dtypes?: Readonly<Record<string, 'float32' | 'int32'>>;
}

/**
 * Batches as tfjs tensors: `{ image: tf.Tensor4D, label: tf.Tensor1D }`. The caller owns the
 * tensors (dispose them, or run inside `tf.tidy`).
 */
export async function* iterTensorBatches<T>(
  source: TensorBatchSource,
  tf: TfLike<T>,
  options: IterTensorBatchesOptions = {},
): AsyncGenerator<Record<string, T>> {
  const { columns, dtypes, ...rest } = options;
  for await (const raw of source.iterBatches({ ...rest, batchFormat: 'tensor' })) {
    const batch = raw as TensorBatch;
    const out: Record<string, T> = {};
    for (const [name, value] of Object.entries(batch)) {
      if (Array.isArray(value) || (columns && !columns.includes(name))) continue;
      const t = value as Tensor;
      const dtype = dtypes?.[name] ?? (t.data instanceof Int32Array ? 'int32' : 'float32');
      out[name] = tf.tensor(convert(t.data, dtype), [...t.shape], dtype);
    }
    yield out;
  }
}

function convert(data: Tensor['data'], dtype: 'float32' | 'int32'): Float32Array | Int32Array {
  if (dtype === 'float32') return data instanceof Float32Array ? data : Float32Array.from(data);
  return data instanceof Int32Array ? data : Int32Array.from(data);
}
