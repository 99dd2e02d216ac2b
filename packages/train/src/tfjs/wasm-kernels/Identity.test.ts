import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMantaWasmKernel } from './register.ts';
import { expectSameAsCpu, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - Identity', () => {
  it('replaces the shipped kernel', () => {
    expect(isMantaWasmKernel(tf.Identity)).toBe(true);
  });

  it('matches cpu', () => {
    expectSameAsCpu(tf.Identity, { x: { shape: [2, 3, 4] } }, {});
  });

  it('keeps its output valid after the input is disposed', () => {
    const x = tf.tensor([1, 2, 3]);
    const y = tf.engine().runKernel(tf.Identity, { x }) as tf.Tensor;
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3]);
    y.dispose();
  });
});
