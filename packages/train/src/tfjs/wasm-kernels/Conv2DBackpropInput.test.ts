import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMantaWasmKernel } from './register.ts';
import { convCases, describeCase, expectSameAsCpu, outSize, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - Conv2DBackpropInput', () => {
  it('replaces the shipped kernel', () => {
    expect(isMantaWasmKernel(tf.Conv2DBackpropInput)).toBe(true);
  });

  for (const c of convCases(12, 23)) {
    it(`matches cpu for ${describeCase(c)}`, () => {
      const dyShape = [
        c.batch,
        outSize(c.inH, c.kH, c.strides[0], c.pad),
        outSize(c.inW, c.kW, c.strides[1], c.pad),
        c.outC,
      ];
      expectSameAsCpu(
        tf.Conv2DBackpropInput,
        { dy: { shape: dyShape }, filter: { shape: [c.kH, c.kW, c.inC, c.outC] } },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', inputShape: [c.batch, c.inH, c.inW, c.inC] },
      );
    });
  }

  it('matches cpu when the batch is split into chunks (stride 2, large column matrix)', () => {
    expectSameAsCpu(
      tf.Conv2DBackpropInput,
      { dy: { shape: [8, 16, 16, 8] }, filter: { shape: [3, 3, 64, 8] } },
      { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [8, 32, 32, 64] },
      1e-4,
    );
  });
});
