/**
 * `MantaBatchNormGradStats` (wasm only): the two per-channel sums that batch norm's gradient
 * needs, in one pass over x and dy: two [C] outputs, sum of dy[..., c] and sum of
 * dy[..., c] * (x[..., c] - mean[c]), accumulated in float64. The gradient in
 * ../wasm-gradients/FusedBatchNorm.ts derives every input's gradient from these.
 */

import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { type BackendWasm, heap } from './wasm-backend.ts';

export const BATCH_NORM_GRAD_STATS = 'MantaBatchNormGradStats';

export function batchNormGradStats(args: {
  inputs: { dy: TensorInfo; x: TensorInfo; mean: TensorInfo };
  backend: BackendWasm;
}): TensorInfo[] {
  const { inputs, backend } = args;
  const { dy, x, mean } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const sums = channelSums(heap(backend, dy), heap(backend, x), heap(backend, mean), channels);
  const sumDy = backend.makeOutput([channels], 'float32');
  const sumDyXc = backend.makeOutput([channels], 'float32');
  heap(backend, sumDy).set(sums.subarray(0, channels));
  heap(backend, sumDyXc).set(sums.subarray(channels));
  return [sumDy, sumDyXc];
}

/**
 * [sum(dy) per channel, sum(dy * (x - mean)) per channel], concatenated. Four rows per pass
 * over the float64 accumulators (measured about 2x faster than one row at a time).
 */
export function channelSums(
  dy: Float32Array,
  x: Float32Array,
  mean: Float32Array,
  channels: number,
): Float64Array {
  const sums = new Float64Array(2 * channels);
  const sumDy = sums.subarray(0, channels);
  const sumDyXc = sums.subarray(channels);
  const m = Float64Array.from(mean);
  const rows = channels === 0 ? 0 : x.length / channels;
  let r = 0;
  let b0 = 0;
  for (; r + 4 <= rows; r += 4, b0 += 4 * channels) {
    const b1 = b0 + channels;
    const b2 = b1 + channels;
    const b3 = b2 + channels;
    for (let c = 0; c < channels; c++) {
      const d0 = dy[b0 + c];
      const d1 = dy[b1 + c];
      const d2 = dy[b2 + c];
      const d3 = dy[b3 + c];
      const mc = m[c];
      sumDy[c] += d0 + d1 + (d2 + d3);
      sumDyXc[c] +=
        d0 * (x[b0 + c] - mc) + d1 * (x[b1 + c] - mc) + (d2 * (x[b2 + c] - mc) + d3 * (x[b3 + c] - mc));
    }
  }
  for (; r < rows; r++, b0 += channels) {
    for (let c = 0; c < channels; c++) {
      const d = dy[b0 + c];
      sumDy[c] += d;
      sumDyXc[c] += d * (x[b0 + c] - m[c]);
    }
  }
  return sums;
}

export const batchNormGradStatsConfig: KernelConfig = {
  kernelName: BATCH_NORM_GRAD_STATS,
  backendName: 'wasm',
  kernelFunc: batchNormGradStats as unknown as KernelFunc,
};
