import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { convCases, describeCase, expectSameAsCpu, outSize, useWasmWithTrainingKernels } from './testing.ts';

beforeAll(useWasmWithTrainingKernels);

describe('wasm kernels - DepthwiseConv2dNativeBackpropInput', () => {
  for (const [i, c] of convCases(10, 41).entries()) {
    const mult = (i % 3) + 1;
    it(`matches cpu for ${describeCase(c)} multiplier ${mult}`, () => {
      // tfjs's depthwise ops need equal strides in both dimensions.
      const strides = c.strides[0];
      const dyShape = [
        c.batch,
        outSize(c.inH, c.kH, strides, c.pad),
        outSize(c.inW, c.kW, strides, c.pad),
        c.inC * mult,
      ];
      expectSameAsCpu(
        tf.DepthwiseConv2dNativeBackpropInput,
        { dy: { shape: dyShape }, filter: { shape: [c.kH, c.kW, c.inC, mult] } },
        { strides, pad: c.pad, dilations: 1, inputShape: [c.batch, c.inH, c.inW, c.inC] },
      );
    });
  }
});
