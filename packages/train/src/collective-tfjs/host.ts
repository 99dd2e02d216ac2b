/** Reading tensors into host buffers that belong to us (tfjs may hand out its own storage). */
import type { Tensor } from '@tensorflow/tfjs';
import type { HostArray, TfLike } from './types.ts';

/** Copies the tensor's values into a new Float32Array/Int32Array (async `data()`: any backend). */
export async function readHost(tensor: Tensor): Promise<HostArray> {
  const data = await tensor.data();
  if (tensor.dtype === 'float32') return new Float32Array(data as Float32Array);
  if (tensor.dtype === 'int32') return new Int32Array(data as Int32Array);
  throw new TypeError(
    `allReduceTensors: tensors must be float32 or int32 (got ${tensor.dtype} of shape [${tensor.shape}])`,
  );
}

export function toTensor(tf: TfLike, values: HostArray, like: Tensor): Tensor {
  return tf.tensor(values, like.shape, values instanceof Int32Array ? 'int32' : 'float32');
}

export async function loadTf(tf?: TfLike): Promise<TfLike> {
  return tf ?? ((await import('@tensorflow/tfjs')) as unknown as TfLike);
}
