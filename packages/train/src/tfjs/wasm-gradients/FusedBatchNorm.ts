/**
 * Batch norm's gradient on wasm. tfjs's own gradient builds every input's gradient from
 * activation-sized intermediates: about a dozen full passes (x - mean, tiles, products, four
 * sums) per layer and step, a large share of a ResNet training step on wasm (measured). Here
 * one pass over x and dy gives the two per-channel sums that all five gradients need
 * (MantaBatchNormGradStats), and dx is one per-channel scaling of dy:
 *   dx = dy * g, g = scale / sqrt(variance + eps)
 *   dMean = -g * sum(dy)              dVariance = -0.5 * g / (variance + eps) * sum(dy * (x - mean))
 *   dScale = sum(dy * (x - mean)) / sqrt(variance + eps)      dOffset = sum(dy)
 * (the same formulas as tfjs's gradient). Cases it does not cover (per-element mean, another
 * dtype) use tfjs's gradient.
 */

import type { GradFunc, NamedAttrMap, Tensor } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { BATCH_NORM_GRAD_STATS } from '../wasm-kernels/BatchNormGradStats.ts';

export function fusedBatchNormGrad(
  dy: Tensor,
  saved: Tensor[],
  attrs: NamedAttrMap,
): ReturnType<GradFunc> | null {
  const [x, mean, variance, scale] = saved;
  const channels = x.shape[x.shape.length - 1];
  const perChannel = (t: Tensor | undefined) =>
    t === undefined || t === null || (t.rank === 1 && t.shape[0] === channels && t.dtype === 'float32');
  if (
    x.rank < 2 ||
    x.dtype !== 'float32' ||
    dy.dtype !== 'float32' ||
    !perChannel(mean) ||
    !perChannel(variance) ||
    !perChannel(scale) ||
    mean == null ||
    variance == null
  ) {
    return null;
  }
  const epsilon = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
  // Per-channel values, made here (outside the per-input tidies) and shared by the gradients.
  const [sumDy, sumDyXc] = tf.engine().runKernel(BATCH_NORM_GRAD_STATS, { dy, x, mean }) as Tensor[];
  const invStd = tf.rsqrt(tf.add(variance, epsilon));
  const g = scale == null ? invStd : tf.mul(invStd, scale);
  return {
    x: () => tf.mul(dy, g),
    mean: () => tf.neg(tf.mul(g, sumDy)),
    variance: () => tf.mul(tf.mul(g, tf.square(invStd)), tf.mul(sumDyXc, -0.5)),
    scale: () => tf.mul(sumDyXc, invStd),
    offset: () => tf.add(sumDy, 0),
  };
}
