import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { conv2DBackpropInputTuning } from './Conv2DBackpropInput.ts';
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

  // Strides above the filter size leave parts of dx that no tap reaches (zeros); uneven
  // strides and sizes give parts of different sizes.
  const strided: [number[], number[], [number, number], 'same' | 'valid'][] = [
    [[3, 9, 10, 4], [1, 1, 4, 5], [2, 2], 'same'],
    [[2, 9, 10, 4], [1, 1, 4, 5], [2, 2], 'valid'],
    [[2, 11, 9, 3], [2, 3, 3, 4], [3, 2], 'same'],
    [[2, 11, 9, 3], [2, 3, 3, 4], [3, 2], 'valid'],
    [[2, 8, 7, 2], [5, 4, 2, 3], [3, 3], 'same'],
    [[2, 32, 32, 6], [3, 3, 6, 8], [2, 2], 'same'], // the demo ResNet's downsampling, narrower
  ];
  for (const [xShape, fShape, strides, pad] of strided) {
    it(`matches cpu for ${xShape.join('x')} k${fShape[0]}x${fShape[1]} s${strides.join('x')} ${pad}`, () => {
      const dyShape = [
        xShape[0],
        outSize(xShape[1], fShape[0], strides[0], pad),
        outSize(xShape[2], fShape[1], strides[1], pad),
        fShape[3],
      ];
      expectSameAsCpu(
        tf.Conv2DBackpropInput,
        { dy: { shape: dyShape }, filter: { shape: fShape } },
        { strides, pad, dataFormat: 'NHWC', inputShape: xShape },
      );
    });
  }

  it('matches cpu with explicit padding wider than the filter (the col2im path), in batch chunks', () => {
    const saved = conv2DBackpropInputTuning.maxColumnElements;
    // 9 x 8 positions x 2*2*3 patch entries = 864 floats per image: two images per chunk.
    conv2DBackpropInputTuning.maxColumnElements = 2000;
    try {
      expectSameAsCpu(
        tf.Conv2DBackpropInput,
        { dy: { shape: [5, 9, 8, 4] }, filter: { shape: [2, 2, 3, 4] } },
        {
          strides: 1,
          pad: [
            [0, 0],
            [3, 1],
            [0, 3],
            [0, 0],
          ],
          dataFormat: 'NHWC',
          inputShape: [5, 6, 6, 3],
        },
      );
    } finally {
      conv2DBackpropInputTuning.maxColumnElements = saved;
    }
  });

  it('matches cpu for a larger stride-2 case (8 x 32 x 32 x 64)', () => {
    expectSameAsCpu(
      tf.Conv2DBackpropInput,
      { dy: { shape: [8, 16, 16, 8] }, filter: { shape: [3, 3, 64, 8] } },
      { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [8, 32, 32, 64] },
      1e-4,
    );
  });
});
