import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCH_NORM_GRAD_STATS } from './BatchNormGradStats.ts';
import { randomValues, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - MantaBatchNormGradStats', () => {
  // Row counts that do and do not divide by the kernel's four-row step.
  for (const shape of [
    [3, 4, 5, 6],
    [7, 3],
    [1, 1, 1, 2],
  ]) {
    it(`matches sum(dy) and sum(dy * (x - mean)) computed on cpu for ${shape.join('x')}`, () => {
      const channels = shape[shape.length - 1];
      const size = tf.util.sizeFromShape(shape);
      const values = { dy: randomValues(size, 1), x: randomValues(size, 2), mean: randomValues(channels, 3) };
      const axes = shape.slice(0, -1).map((_, i) => i);
      tf.setBackend('cpu');
      const expected = tf.tidy(() => {
        const dy = tf.tensor(values.dy, shape);
        const xc = tf.sub(tf.tensor(values.x, shape), tf.tensor(values.mean, [channels]));
        return [tf.sum(dy, axes).dataSync(), tf.sum(tf.mul(dy, xc), axes).dataSync()];
      });
      tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      const actual = tf.tidy(() => {
        const inputs = {
          dy: tf.tensor(values.dy, shape),
          x: tf.tensor(values.x, shape),
          mean: tf.tensor(values.mean, [channels]),
        };
        const outputs = tf.engine().runKernel(BATCH_NORM_GRAD_STATS, inputs) as tf.Tensor[];
        for (const o of outputs) expect(o.shape).toEqual([channels]);
        return outputs.map((o) => o.dataSync());
      });
      expect(tf.memory().numTensors).toBe(before);
      for (let k = 0; k < 2; k++) {
        for (let c = 0; c < channels; c++) expect(actual[k][c]).toBeCloseTo(expected[k][c], 4);
      }
    });
  }
});
