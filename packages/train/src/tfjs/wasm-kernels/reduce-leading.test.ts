import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMantaWasmKernel } from './register.ts';
import { expectSameAsCpu, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - Sum and Mean', () => {
  it('replace the shipped kernels', () => {
    expect(isMantaWasmKernel(tf.Sum)).toBe(true);
    expect(isMantaWasmKernel(tf.Mean)).toBe(true);
  });

  const cases: [number[], number | number[], boolean][] = [
    [[3, 5, 4, 7], [0, 1, 2], false], // batch norm: leading axes, handled without a transpose
    [[3, 5, 4, 7], [0, 1, 2], true],
    [[9, 6], 0, false],
    [[5, 2, 3], [1, 0], true],
    [[3, 5, 4, 7], [1, 2], false], // not leading: the shipped kernel
    [[3, 5, 4, 7], -1, true],
    [[4, 6], [0, 1], false], // all axes: the shipped kernel
  ];
  for (const kernel of [tf.Sum, tf.Mean]) {
    for (const [shape, axis, keepDims] of cases) {
      it(`${kernel} matches cpu for ${shape.join('x')} axis ${JSON.stringify(axis)} keepDims ${keepDims}`, () => {
        expectSameAsCpu(kernel, { x: { shape } }, { axis, keepDims });
      });
    }
  }

  it('Sum of int32 goes to the shipped kernel', () => {
    expectSameAsCpu(
      tf.Sum,
      { x: { shape: [3, 2], dtype: 'int32', values: new Int32Array([1, 2, 3, 4, 5, 6]) } },
      {
        axis: [0],
        keepDims: false,
      },
    );
  });
});
