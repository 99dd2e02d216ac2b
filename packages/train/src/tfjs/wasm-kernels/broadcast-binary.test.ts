import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMantaWasmKernel } from './register.ts';
import { expectSameAsCpu, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - broadcast binary (Multiply, Add, Sub, RealDiv)', () => {
  const kernels = [tf.Multiply, tf.Add, tf.Sub, tf.RealDiv];
  it('wrap the shipped kernels', () => {
    for (const k of kernels) expect(isMantaWasmKernel(k)).toBe(true);
  });

  const cases: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [2, 3, 4, 5],
    ], // batch norm: per-channel values against activations
    [
      [2, 3, 4, 5],
      [1, 1, 1, 5],
    ],
    [
      [1, 1, 4, 5],
      [2, 3, 4, 5],
    ],
    [
      [1, 3, 1, 5],
      [2, 3, 4, 5],
    ], // inner 1: left to the shipped kernel's general path
    [[2, 3, 4, 5], [5]],
    [
      [1, 1],
      [1, 1],
    ],
    [
      [2, 1, 5],
      [1, 4, 1],
    ], // both broadcast
    [[], [3, 2]],
  ];
  for (const k of kernels) {
    for (const [a, b] of cases) {
      it(`${k} matches cpu for ${a.join('x') || 'scalar'} and ${b.join('x')}`, () => {
        expectSameAsCpu(k, { a: { shape: a }, b: { shape: b } }, {});
      });
    }
  }

  it('keeps int32 results', () => {
    expectSameAsCpu(
      tf.Multiply,
      {
        a: { shape: [1, 1, 2], dtype: 'int32', values: new Int32Array([2, 3]) },
        b: { shape: [2, 2, 2], dtype: 'int32', values: new Int32Array([1, 2, 3, 4, 5, 6, 7, 8]) },
      },
      {},
    );
  });
});
