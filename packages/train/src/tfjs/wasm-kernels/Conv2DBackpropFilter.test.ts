import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { conv2DBackpropFilterTuning } from './Conv2DBackpropFilter.ts';
import {
  convCases,
  describeCase,
  expectFilterGradSameAsCpu,
  expectSameAsCpu,
  outSize,
  useWasmWithTrainingKernels,
} from './testing.ts';

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

  // Strides dividing the input size split into stride-1 problems on decimated planes: every
  // residue has taps (k3 s2), some have none (k1 s2, k2 s3), padding before the first row.
  const decimated: [number[], number[], number, 'same' | 'valid'][] = [
    [[3, 8, 10, 4], [3, 3, 4, 5], 2, 'same'],
    [[2, 8, 10, 4], [3, 3, 4, 5], 2, 'valid'],
    [[3, 8, 6, 4], [1, 1, 4, 6], 2, 'same'],
    [[2, 9, 6, 3], [2, 3, 3, 4], 3, 'same'],
    [[2, 9, 12, 3], [2, 2, 3, 4], 3, 'valid'],
    [[2, 12, 8, 3], [5, 4, 3, 2], 2, 'same'],
  ];
  for (const [xShape, fShape, stride, pad] of decimated) {
    it(`matches cpu for ${xShape.join('x')} k${fShape[0]}x${fShape[1]} s${stride} ${pad} (decimated planes)`, () =>
      expectFilterGradSameAsCpu(xShape, fShape, stride, pad));
  }

  it('matches cpu for stride 2 without decimation (the strided gather)', () => {
    conv2DBackpropFilterTuning.decimate = false;
    try {
      expectSameAsCpu(
        tf.Conv2DBackpropFilter,
        { x: { shape: [3, 8, 10, 4] }, dy: { shape: [3, 4, 5, 5] } },
        { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4, 5] },
      );
    } finally {
      conv2DBackpropFilterTuning.decimate = true;
    }
  });

  it('matches cpu for decimated planes in batch chunks', () => {
    // 4 x 5 positions x 2*2*8 patch entries (largest group) = 640 floats per image: two per chunk.
    const saved = conv2DBackpropFilterTuning.maxColumnElements;
    conv2DBackpropFilterTuning.maxColumnElements = 1500;
    try {
      expectSameAsCpu(
        tf.Conv2DBackpropFilter,
        { x: { shape: [5, 8, 10, 8] }, dy: { shape: [5, 4, 5, 3] } },
        { strides: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 8, 3] },
      );
    } finally {
      conv2DBackpropFilterTuning.maxColumnElements = saved;
    }
  });

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
