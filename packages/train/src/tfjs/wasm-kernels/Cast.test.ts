import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMantaWasmKernel } from './register.ts';
import { expectSameAsCpu, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - Cast', () => {
  it('replaces the shipped kernel', () => {
    expect(isMantaWasmKernel(tf.Cast)).toBe(true);
  });

  it('matches cpu for a float32 cast to float32 (shared data)', () => {
    expectSameAsCpu(tf.Cast, { x: { shape: [2, 3, 4] } }, { dtype: 'float32' });
  });

  it('matches cpu for casts to bool', () => {
    expectSameAsCpu(
      tf.Cast,
      { x: { shape: [4], dtype: 'int32', values: new Int32Array([0, 1, -2, 3]) } },
      { dtype: 'bool' },
    );
    expectSameAsCpu(
      tf.Cast,
      { x: { shape: [4], values: new Float32Array([0, 0.25, -2, Number.NaN]) } },
      { dtype: 'bool' },
    );
  });

  it('matches cpu for other casts that change the dtype (the shipped kernel)', () => {
    expectSameAsCpu(tf.Cast, { x: { shape: [2, 5] } }, { dtype: 'int32' });
    expectSameAsCpu(
      tf.Cast,
      { x: { shape: [3], dtype: 'int32', values: new Int32Array([7, -1, 0]) } },
      { dtype: 'float32' },
    );
  });

  it('keeps its output valid after the input is disposed', () => {
    const x = tf.tensor([1.5, 2, 3]);
    const y = tf.cast(x, 'float32');
    expect(y).not.toBe(x);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1.5, 2, 3]);
    y.dispose();
  });
});
