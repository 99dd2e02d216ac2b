import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMantaWasmKernel } from './register.ts';
import { expectSameAsCpu, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - Tile', () => {
  it('replaces the shipped kernel', () => {
    expect(isMantaWasmKernel(tf.Tile)).toBe(true);
  });

  const cases: [number[], number[]][] = [
    [
      [1, 1, 1, 5],
      [3, 4, 2, 1],
    ], // batch norm's per-channel tile
    [
      [2, 3],
      [2, 3],
    ],
    [
      [3, 1, 2],
      [1, 4, 1],
    ],
    [[4], [3]],
    [
      [2, 2, 3],
      [1, 1, 1],
    ],
    [
      [2, 1, 3, 2],
      [2, 3, 1, 2],
    ],
  ];
  for (const [shape, reps] of cases) {
    it(`matches cpu for float32 ${shape.join('x')} by ${reps.join('x')}`, () => {
      expectSameAsCpu(tf.Tile, { x: { shape } }, { reps });
    });
  }

  it('matches cpu for int32 and bool', () => {
    expectSameAsCpu(
      tf.Tile,
      { x: { shape: [2, 3], dtype: 'int32', values: new Int32Array([1, -2, 3, 4, 5, -6]) } },
      { reps: [2, 2] },
    );
    expectSameAsCpu(
      tf.Tile,
      { x: { shape: [3], dtype: 'bool', values: new Int32Array([1, 0, 1]) } },
      { reps: [3] },
    );
  });

  it('tiles strings through the shipped kernel', () => {
    const out = tf.tile(tf.tensor1d(['a', 'b'], 'string'), [2]);
    expect(out.arraySync()).toEqual(['a', 'b', 'a', 'b']);
    out.dispose();
  });
});
