/**
 * Conv2DBackpropFilter for wasm (the backend ships none): dW [kH*kW*inC, outC] =
 * colT [M, P] x dy [P, outC]. colT is built in JS from a channels-first copy of x (see
 * im2col.ts) and the product runs on the backend's untransposed BatchMatMul (its transposed
 * variants take a path about 10x slower, measured). Batches go in chunks to bound colT.
 *
 * Also measured and dropped: computing dW as an XNNPACK forward convolution (x as
 * [inC, H, W, batch] convolved with dy as the filter): slower at every ResNet shape tried.
 */

import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { batchChunk, convGeometry } from './geometry.ts';
import { im2colTransposed, toChannelsFirst } from './im2col.ts';
import {
  allocate,
  type BackendWasm,
  heap,
  heapF32,
  matMul,
  offsetOf,
  release,
  view,
} from './wasm-backend.ts';

export const conv2DBackpropFilterTuning = {
  /**
   * Largest column matrix per chunk, in floats (128 MiB). Measured on the demo ResNet: 4 MiB
   * chunks mean many small matmuls, 2-3x slower at 16x16x64; 64 and 128 MiB were alike.
   */
  maxColumnElements: 32 << 20,
};

export function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const g = convGeometry(tf.Conv2DBackpropFilter, x.shape, attrs.filterShape, attrs, false);
  const M = g.kH * g.kW * g.inC;
  const positions = g.outH * g.outW;
  const chunk = batchChunk(g, conv2DBackpropFilterTuning.maxColumnElements);
  const out = allocate(backend, [g.kH, g.kW, g.inC, g.outC]);
  const xT = allocate(backend, [g.inC, g.batch, g.inH, g.inW]);
  toChannelsFirst(heap(backend, x), g, heap(backend, xT));
  const sum = chunk === g.batch ? null : new Float32Array(M * g.outC);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const b1 = Math.min(g.batch, b0 + chunk);
    const P = (b1 - b0) * positions;
    const colT = allocate(backend, [M, P]);
    let dyChunk = view(dy, [P, g.outC]);
    if (sum) {
      dyChunk = allocate(backend, [P, g.outC]);
      heap(backend, dyChunk).set(
        heap(backend, dy).subarray(b0 * positions * g.outC, b1 * positions * g.outC),
      );
    }
    im2colTransposed(heapF32(backend), offsetOf(backend, xT), g, b0, b1, offsetOf(backend, colT));
    const dW = matMul(backend, colT, dyChunk);
    if (sum) {
      const part = heap(backend, dW);
      for (let i = 0; i < sum.length; i++) sum[i] += part[i];
      release(backend, dyChunk);
    } else {
      heap(backend, out).set(heap(backend, dW));
    }
    release(backend, colT, dW);
  }
  release(backend, xT);
  if (sum) heap(backend, out).set(sum);
  return out;
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
