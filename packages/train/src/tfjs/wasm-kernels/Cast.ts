/**
 * Cast for wasm, replacing the shipped one, which copies the tensor even when the dtype does
 * not change: `tf.moments` casts its float32 input to float32, once per batch norm layer and
 * step, a full activation-sized copy each time (measured about 1 ms per 2M floats). A cast to
 * the same dtype shares the data, as Identity does (tensor memory is immutable once written
 * and reference-counted). A cast of numbers to bool writes x != 0 (the shipped kernel copies
 * the values, so -2 became 254, where cpu gives true). Other casts go to the shipped kernel.
 */

import type { CastAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from './wasm-backend.ts';

export function makeCastConfig(shipped: KernelFunc | undefined): KernelConfig {
  if (!shipped) throw new Error('wasm has no Cast kernel to wrap');
  const kernelFunc = (args: { inputs: { x: TensorInfo }; backend: BackendWasm; attrs: CastAttrs }) => {
    const { inputs, backend, attrs } = args;
    const { x } = inputs;
    if (x.dtype === attrs.dtype) {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }
    if (attrs.dtype === 'bool' && (x.dtype === 'float32' || x.dtype === 'int32')) {
      const out = backend.makeOutput(x.shape, 'bool');
      const src = backend.typedArrayFromHeap(x) as Float32Array | Int32Array;
      const dst = backend.typedArrayFromHeap(out) as Uint8Array;
      for (let i = 0; i < dst.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
      return out;
    }
    return shipped(args as never);
  };
  return { kernelName: tf.Cast, backendName: 'wasm', kernelFunc: kernelFunc as unknown as KernelFunc };
}
