/**
 * `MantaReluGrad` (wasm only): dx = x > 0 ? dy : 0 in one SIMD pass (../wasm-simd), for
 * ReLU's gradient on wasm (../wasm-gradients/Relu.ts). tfjs's gradient is dy * step(x): two
 * activation-sized kernels and an intermediate. Without wasm SIMD, a JS loop.
 */

import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { byteOffset, simdKernels } from '../wasm-simd/index.ts';
import { type BackendWasm, heap } from './wasm-backend.ts';

export const RELU_GRAD = 'MantaReluGrad';

function reluGrad(args: { inputs: { dy: TensorInfo; x: TensorInfo }; backend: BackendWasm }): TensorInfo {
  const { inputs, backend } = args;
  const { dy, x } = inputs;
  const out = backend.makeOutput(x.shape, 'float32');
  const n = tf.util.sizeFromShape(x.shape);
  const simd = simdKernels(backend);
  if (simd) {
    simd.relu_grad(byteOffset(backend, dy), byteOffset(backend, x), byteOffset(backend, out), n);
  } else {
    const d = heap(backend, dy);
    const v = heap(backend, x);
    const o = heap(backend, out);
    for (let i = 0; i < n; i++) o[i] = v[i] > 0 ? d[i] : 0;
  }
  return out;
}

export const reluGradConfig: KernelConfig = {
  kernelName: RELU_GRAD,
  backendName: 'wasm',
  kernelFunc: reluGrad as unknown as KernelFunc,
};
