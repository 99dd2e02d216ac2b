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

/** The slice of tfjs-backend-wasm's BackendWasm used to read a tensor where it lives. */
interface HeapBackend {
  dataIdMap: { has(dataId: object): boolean };
  typedArrayFromHeap(info: Tensor): Float32Array | Int32Array | Uint8Array;
}

/**
 * Copies a float32 tensor's values into `target` at `at`. On the wasm backend it copies straight
 * from the wasm heap: `data()` would first copy into a new array, a large allocation per
 * gradient per step that keeps V8's major GC busy.
 */
export async function readInto(tf: TfLike, tensor: Tensor, target: Float32Array, at: number): Promise<void> {
  if (tf.getBackend?.() === 'wasm') {
    const backend = tf.backend?.() as Partial<HeapBackend> | undefined;
    if (typeof backend?.typedArrayFromHeap === 'function' && backend.dataIdMap?.has(tensor.dataId)) {
      target.set(backend.typedArrayFromHeap(tensor) as Float32Array, at);
      return;
    }
  }
  target.set((await tensor.data()) as Float32Array, at);
}

/**
 * True when `tf.tensor(values)` copies `values` at once on the active backend (wasm and tfjs-node
 * do), so a host buffer may be reused for the next call. The cpu backend keeps a reference and
 * webgl uploads lazily: there every call needs fresh buffers.
 */
export function tensorCopiesValues(tf: TfLike): boolean {
  const name = tf.getBackend?.();
  return name === 'wasm' || name === 'tensorflow';
}

export function toTensor(tf: TfLike, values: HostArray, like: Tensor): Tensor {
  return tf.tensor(values, like.shape, values instanceof Int32Array ? 'int32' : 'float32');
}

export async function loadTf(tf?: TfLike): Promise<TfLike> {
  return tf ?? ((await import('@tensorflow/tfjs')) as unknown as TfLike);
}
