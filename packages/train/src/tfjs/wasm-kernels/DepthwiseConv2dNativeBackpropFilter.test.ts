import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { convCases, describeCase, expectSameAsCpu, outSize, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - DepthwiseConv2dNativeBackpropFilter', () => {
  for (const [i, c] of convCases(10, 37).entries()) {
    const mult = (i % 3) + 1;
    it(`matches cpu for ${describeCase(c)} multiplier ${mult}`, () => {
      const dyShape = [
        c.batch,
        outSize(c.inH, c.kH, c.strides[0], c.pad),
        outSize(c.inW, c.kW, c.strides[1], c.pad),
        c.inC * mult,
      ];
      // tfjs's depthwise ops need equal strides in both dimensions.
      const strides = c.strides[0];
      dyShape[2] = outSize(c.inW, c.kW, strides, c.pad);
      expectSameAsCpu(
        tf.DepthwiseConv2dNativeBackpropFilter,
        { x: { shape: [c.batch, c.inH, c.inW, c.inC] }, dy: { shape: dyShape } },
        { strides, pad: c.pad, dilations: 1, filterShape: [c.kH, c.kW, c.inC, mult] },
      );
    });
  }
});
