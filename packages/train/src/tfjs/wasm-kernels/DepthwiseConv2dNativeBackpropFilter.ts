/**
 * DepthwiseConv2dNativeBackpropFilter for wasm (the backend ships none), in plain JS:
 * dW[kh, kw, c, q] = sum over (b, oh, ow) of x[b, ih, iw, c] * dy[b, oh, ow, c * mult + q].
 * Depthwise work is small (no channel mixing), so a direct loop with the channel axis
 * innermost is enough.
 */

import type {
  DepthwiseConv2dNativeBackpropFilterAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { convGeometry, validRange } from './geometry.ts';
import { allocate, type BackendWasm, heap } from './wasm-backend.ts';

export function depthwiseConv2dNativeBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const g = convGeometry(
    tf.DepthwiseConv2dNativeBackpropFilter,
    inputs.x.shape,
    attrs.filterShape,
    attrs,
    true,
  );
  const { inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft } = g;
  const mult = outC / inC;
  const out = allocate(backend, attrs.filterShape);
  const x = heap(backend, inputs.x);
  const dy = heap(backend, inputs.dy);
  const dW = heap(backend, out);
  dW.fill(0);
  for (let b = 0; b < g.batch; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * strideH - padTop + kh * dilH;
        if (ih < 0 || ih >= inH) continue;
        for (let kw = 0; kw < kW; kw++) {
          const [owStart, owEnd] = validRange(outW, inW, strideW, padLeft, kw * dilW);
          const w0 = (kh * kW + kw) * outC;
          for (let ow = owStart; ow < owEnd; ow++) {
            const x0 = ((b * inH + ih) * inW + ow * strideW - padLeft + kw * dilW) * inC;
            const y0 = ((b * outH + oh) * outW + ow) * outC;
            if (mult === 1) {
              for (let c = 0; c < inC; c++) dW[w0 + c] += x[x0 + c] * dy[y0 + c];
            } else {
              for (let c = 0; c < inC; c++) {
                const xv = x[x0 + c];
                for (let q = 0; q < mult; q++) dW[w0 + c * mult + q] += xv * dy[y0 + c * mult + q];
              }
            }
          }
        }
      }
    }
  }
  return out;
}

export const depthwiseConv2dNativeBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropFilter as unknown as KernelFunc,
};
