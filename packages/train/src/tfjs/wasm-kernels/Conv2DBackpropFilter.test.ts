import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { conv2DBackpropFilterTuning } from './Conv2DBackpropFilter.ts';
import { convCases, describeCase, expectSameAsCpu, outSize, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - Conv2DBackpropFilter', () => {
  for (const c of convCases(12, 11)) {
    it(`matches cpu for ${describeCase(c)}`, () => {
      const dyShape = [
        c.batch,
        outSize(c.inH, c.kH, c.strides[0], c.pad),
        outSize(c.inW, c.kW, c.strides[1], c.pad),
        c.outC,
      ];
      expectSameAsCpu(
        tf.Conv2DBackpropFilter,
        { x: { shape: [c.batch, c.inH, c.inW, c.inC] }, dy: { shape: dyShape } },
        { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: [c.kH, c.kW, c.inC, c.outC] },
      );
    });
  }

  it('matches cpu when the batch is split into chunks (large column matrix)', () => {
    // 12 x 10 positions x 3*3*8 patch entries = 8640 floats per image: two images per chunk.
    const saved = conv2DBackpropFilterTuning.maxColumnElements;
    conv2DBackpropFilterTuning.maxColumnElements = 20_000;
    try {
      expectSameAsCpu(
        tf.Conv2DBackpropFilter,
        { x: { shape: [5, 12, 10, 8] }, dy: { shape: [5, 12, 10, 3] } },
        { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 3] },
      );
    } finally {
      conv2DBackpropFilterTuning.maxColumnElements = saved;
    }
  });

  it('matches cpu with explicit padding', () => {
    expectSameAsCpu(
      tf.Conv2DBackpropFilter,
      { x: { shape: [2, 6, 7, 3] }, dy: { shape: [2, 5, 7, 4] } },
      {
        strides: 1,
        pad: [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
        dataFormat: 'NHWC',
        filterShape: [3, 3, 3, 4],
      },
    );
  });
});
