/** ReLU's gradient on wasm for float32: one MantaReluGrad kernel (../wasm-kernels/ReluGrad.ts). */

import type { GradFunc, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { RELU_GRAD } from '../wasm-kernels/ReluGrad.ts';

export function reluGrad(dy: Tensor, saved: Tensor[], _attrs: NamedAttrMap): ReturnType<GradFunc> | null {
  const [x] = saved;
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  return { x: () => tf.engine().runKernel(RELU_GRAD, { dy, x }) as Tensor };
}
