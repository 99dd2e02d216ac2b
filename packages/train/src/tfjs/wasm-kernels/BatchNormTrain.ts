/**
 * Batch norm in training mode as one op (wasm only), for the BatchNormalization layer (see
 * ../wasm-layers/batch-normalization.ts). tfjs composes it from moments (Mean, Sub, Square,
 * Mean) and FusedBatchNorm, and its gradient from a dozen activation-sized passes plus the
 * Adds that sum x's three gradient contributions: measured about 40 ms per 2M-element layer
 * and step on the demo ResNet. Here:
 * - `MantaBatchNormTrain` (x, scale, offset) -> [y, mean, variance]: one pass for the
 *   per-channel sums (float64 totals), one for y = x * a[c] + b[c]. The variance
 *   is the biased one (divided by the element count), as tfjs's moments gives.
 * - `MantaBatchNormTrainGrad` (dy, x, mean, variance, scale, dMean, dVariance) -> [dx, dScale,
 *   dOffset]: one pass for sum(dy) and sum(dy * (x - mean)) per channel, one for dx, a
 *   per-channel affine function of dy and x:
 *     dx = g * dy + (dVariance * 2 / n - g * invStd^2 * sumDyXc / n) * (x - mean)
 *          + dMean / n - g * sumDy / n,                     g = scale * invStd
 *   (the gradient through y and through the mean and variance it was normalised with, plus
 *   the gradients of the mean and variance outputs themselves, usually zero).
 * The passes run in wasm SIMD (../wasm-simd) when the channels are a multiple of 4, else in JS.
 */

import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { byteOffset, simdChannels, simdKernels } from '../wasm-simd/index.ts';
import { channelSums } from './BatchNormGradStats.ts';
import { allocate, type BackendWasm, heap, heapF32, release } from './wasm-backend.ts';

export const BATCH_NORM_TRAIN = 'MantaBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'MantaBatchNormTrainGrad';

export interface BatchNormTrainAttrs {
  varianceEpsilon: number;
}

function batchNormTrain(args: {
  inputs: { x: TensorInfo; scale: TensorInfo; offset: TensorInfo };
  backend: BackendWasm;
  attrs: BatchNormTrainAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const { x, scale, offset } = inputs;
  const channels = x.shape[x.shape.length - 1];
  const size = tf.util.sizeFromShape(x.shape);
  const n = channels === 0 ? 0 : size / channels;
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([channels], 'float32');
  const variance = backend.makeOutput([channels], 'float32');
  const simd = simdChannels(channels) && n > 0 ? simdKernels(backend) : null;
  // Scratch: float64 sums [2C], float32 partial sums [2C], float32 coefficients [4C].
  const temp = simd ? allocate(backend, [10 * channels]) : null;
  let sum: ArrayLike<number>;
  let squares: ArrayLike<number>;
  // Sums of x and of x * (x - shift), shift = x's first row: a rough mean that keeps the
  // variance's cancellation small.
  const shift = Float64Array.from(heap(backend, x).subarray(0, channels));
  if (simd && temp) {
    const base = byteOffset(backend, temp);
    const acc = new Float64Array(heapF32(backend).buffer, base, 2 * channels);
    acc.fill(0);
    heap(backend, temp).set(shift, 6 * channels);
    simd.channel_sums(
      byteOffset(backend, x),
      byteOffset(backend, x),
      base + 24 * channels,
      base + 16 * channels,
      base,
      size,
      channels,
    );
    const sums = Float64Array.from(new Float64Array(heapF32(backend).buffer, base, 2 * channels));
    sum = sums.subarray(0, channels);
    squares = sums.subarray(channels);
  } else {
    ({ sum, squares } = channelMoments(heap(backend, x), shift));
  }
  const meanOut = heap(backend, mean);
  const varianceOut = heap(backend, variance);
  const s = heap(backend, scale);
  const o = heap(backend, offset);
  const a = new Float32Array(channels);
  const b = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const m = n > 0 ? sum[c] / n : 0;
    // sum(x (x - K)) / n = variance + m (m - K)
    const v = n > 0 ? Math.max(0, squares[c] / n - m * (m - shift[c])) : 0;
    meanOut[c] = m;
    varianceOut[c] = v;
    a[c] = s[c] / Math.sqrt(v + attrs.varianceEpsilon);
    b[c] = o[c] - m * a[c];
  }
  if (simd && temp) {
    const t = heap(backend, temp);
    t.set(a, 6 * channels);
    t.set(b, 7 * channels);
    const base = byteOffset(backend, temp);
    simd.affine(
      byteOffset(backend, x),
      base + 24 * channels,
      base + 28 * channels,
      byteOffset(backend, y),
      size,
      channels,
    );
    release(backend, temp);
  } else {
    affine(heap(backend, x), a, b, heap(backend, y));
  }
  return [y, mean, variance];
}

/** Per-channel sum of x and of x * (x - shift), in float64 (the JS path). */
function channelMoments(x: Float32Array, shift: Float64Array): { sum: Float64Array; squares: Float64Array } {
  const channels = shift.length;
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) {
      const v = x[i + c];
      sum[c] += v;
      squares[c] += v * (v - shift[c]);
    }
  }
  return { sum, squares };
}

/** out[r, c] = x[r, c] * a[c] + b[c] (the JS path). */
function affine(x: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array): void {
  const channels = a.length;
  for (let i = 0; i < x.length; i += channels) {
    for (let c = 0; c < channels; c++) out[i + c] = x[i + c] * a[c] + b[c];
  }
}

function batchNormTrainGrad(args: {
  inputs: {
    dy: TensorInfo;
    x: TensorInfo;
    mean: TensorInfo;
    variance: TensorInfo;
    scale: TensorInfo;
    dMean: TensorInfo;
    dVariance: TensorInfo;
  };
  backend: BackendWasm;
  attrs: BatchNormTrainAttrs;
}): TensorInfo[] {
  const { inputs, backend, attrs } = args;
  const channels = inputs.x.shape[inputs.x.shape.length - 1];
  const size = tf.util.sizeFromShape(inputs.x.shape);
  const n = channels === 0 ? 0 : size / channels;
  const dx = backend.makeOutput(inputs.x.shape, 'float32');
  const dScale = backend.makeOutput([channels], 'float32');
  const dOffset = backend.makeOutput([channels], 'float32');
  const simd = simdChannels(channels) && n > 0 ? simdKernels(backend) : null;
  // Scratch: float64 sums [2C], float32 partial sums [2C], float32 coefficients [4C].
  const temp = simd ? allocate(backend, [10 * channels]) : null;
  let sums: Float64Array;
  if (simd && temp) {
    const base = byteOffset(backend, temp);
    new Float64Array(heapF32(backend).buffer, base, 2 * channels).fill(0);
    simd.channel_sums(
      byteOffset(backend, inputs.dy),
      byteOffset(backend, inputs.x),
      byteOffset(backend, inputs.mean),
      base + 16 * channels,
      base,
      size,
      channels,
    );
    sums = Float64Array.from(new Float64Array(heapF32(backend).buffer, base, 2 * channels));
  } else {
    sums = channelSums(
      heap(backend, inputs.dy),
      heap(backend, inputs.x),
      heap(backend, inputs.mean),
      channels,
    );
  }
  const mean = heap(backend, inputs.mean);
  const variance = heap(backend, inputs.variance);
  const scale = heap(backend, inputs.scale);
  const dMean = heap(backend, inputs.dMean);
  const dVariance = heap(backend, inputs.dVariance);
  // dx = g * dy + k * (x - m) + c0, per channel.
  const coef = new Float32Array(4 * channels);
  const dScaleOut = heap(backend, dScale);
  const dOffsetOut = heap(backend, dOffset);
  for (let c = 0; c < channels; c++) {
    const invStd = 1 / Math.sqrt(variance[c] + attrs.varianceEpsilon);
    const sumDy = sums[c];
    const sumDyXc = sums[channels + c];
    const g = scale[c] * invStd;
    coef[c] = g;
    coef[channels + c] = n > 0 ? (2 * dVariance[c] - g * invStd * invStd * sumDyXc) / n : 0;
    coef[2 * channels + c] = mean[c];
    coef[3 * channels + c] = n > 0 ? (dMean[c] - g * sumDy) / n : 0;
    dScaleOut[c] = sumDyXc * invStd;
    dOffsetOut[c] = sumDy;
  }
  if (simd && temp) {
    heap(backend, temp).set(coef, 6 * channels);
    simd.bn_dx(
      byteOffset(backend, inputs.dy),
      byteOffset(backend, inputs.x),
      byteOffset(backend, temp) + 24 * channels,
      byteOffset(backend, dx),
      size,
      channels,
    );
    release(backend, temp);
  } else {
    const dyv = heap(backend, inputs.dy);
    const x = heap(backend, inputs.x);
    const out = heap(backend, dx);
    for (let i = 0; i < x.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        out[i + c] =
          coef[c] * dyv[i + c] +
          coef[channels + c] * (x[i + c] - coef[2 * channels + c]) +
          coef[3 * channels + c];
      }
    }
  }
  return [dx, dScale, dOffset];
}

export const batchNormTrainConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN,
  backendName: 'wasm',
  kernelFunc: batchNormTrain as unknown as KernelFunc,
};

export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD,
  backendName: 'wasm',
  kernelFunc: batchNormTrainGrad as unknown as KernelFunc,
};
