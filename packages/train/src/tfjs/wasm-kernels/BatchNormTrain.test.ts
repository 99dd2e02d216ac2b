import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_NORM_TRAIN } from './BatchNormTrain.ts';
import { randomValues, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

const EPSILON = 1e-3;

/**
 * y, mean, variance and the gradients of x, scale and offset of
 * sum(y * wy) + sum(mean * wm) + sum(variance * wv), with `bn` computing [y, mean, variance].
 */
function run(
  shape: number[],
  xOffset: number,
  bn: (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => tf.Tensor[],
  statsWeight: number,
): number[][] {
  const channels = shape[shape.length - 1];
  const size = tf.util.sizeFromShape(shape);
  return tf.tidy(() => {
    const x = tf.add(tf.tensor(randomValues(size, 1), shape), xOffset);
    const scale = tf.add(tf.tensor(randomValues(channels, 2), [channels]), 1);
    const offset = tf.tensor(randomValues(channels, 3), [channels]);
    const wy = tf.tensor(randomValues(size, 4), shape);
    const wm = tf.mul(tf.tensor(randomValues(channels, 5), [channels]), statsWeight);
    const wv = tf.mul(tf.tensor(randomValues(channels, 6), [channels]), statsWeight);
    const [y, mean, variance] = bn(x, scale, offset);
    const loss = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
      const [yy, mm, vv] = bn(a, b, c);
      return tf.addN([tf.sum(tf.mul(yy, wy)), tf.sum(tf.mul(mm, wm)), tf.sum(tf.mul(vv, wv))]) as tf.Scalar;
    };
    const grads = tf.grads(loss)([x, scale, offset]);
    return [y, mean, variance, ...grads].map((t) => Array.from(t.dataSync()));
  });
}

const fused = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) =>
  tf.engine().runKernel(BATCH_NORM_TRAIN, { x, scale, offset }, { varianceEpsilon: EPSILON }) as tf.Tensor[];

const composed = (x: tf.Tensor, scale: tf.Tensor, offset: tf.Tensor) => {
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const { mean, variance } = tf.moments(x, axes);
  return [tf.batchNorm(x, mean, variance, offset, scale, EPSILON), mean, variance];
};

describe('wasm kernels - MantaBatchNormTrain and its gradient', () => {
  // Channels a multiple of 4 run in wasm SIMD, others in JS; 2D and 4D; an offset mean.
  const cases: [number[], number][] = [
    [[3, 5, 4, 8], 0],
    [[2, 3, 5, 6], 0.5],
    [[9, 4], 3],
    [[7, 5], -2],
    [[2, 65, 1, 4], 1], // more rows than one float32 partial-sum block (64)
  ];
  for (const [shape, xOffset] of cases) {
    for (const statsWeight of [0, 1]) {
      it(`matches moments + batchNorm on cpu for ${shape.join('x')}, mean ~${xOffset}${statsWeight ? ', with gradients through mean and variance' : ''}`, () => {
        tf.setBackend('cpu');
        const expected = run(shape, xOffset, composed, statsWeight);
        tf.setBackend('wasm');
        const wasm = tf.findBackend('wasm') as unknown as { numDataIds(): number };
        const before = tf.memory().numTensors;
        const dataBefore = wasm.numDataIds();
        const actual = run(shape, xOffset, fused, statsWeight);
        expect(tf.memory().numTensors).toBe(before);
        expect(wasm.numDataIds()).toBe(dataBefore);
        const names = ['y', 'mean', 'variance', 'dx', 'dScale', 'dOffset'];
        for (let k = 0; k < expected.length; k++) {
          const scale = Math.max(1, ...expected[k].map(Math.abs));
          expect(actual[k].length).toBe(expected[k].length);
          let worst = 0;
          for (let i = 0; i < expected[k].length; i++) {
            worst = Math.max(worst, Math.abs(actual[k][i] - expected[k][i]));
          }
          expect(worst, names[k]).toBeLessThanOrEqual(2e-4 * scale);
        }
      });
    }
  }
});
