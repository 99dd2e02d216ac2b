/**
 * DepthwiseConv2dNativeBackpropInput for wasm (the backend ships none), in plain JS:
 * dx[b, ih, iw, c] = sum over taps and q of dy[b, oh, ow, c * mult + q] * W[kh, kw, c, q],
 * scattered from each output position with the channel axis innermost.
 */

import type {
  DepthwiseConv2dNativeBackpropInputAttrs,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { convGeometry, validRange } from './geometry.ts';
import { allocate, type BackendWasm, heap } from './wasm-backend.ts';

export function depthwiseConv2dNativeBackpropInput(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: BackendWasm;
  attrs: DepthwiseConv2dNativeBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const g = convGeometry(
    tf.DepthwiseConv2dNativeBackpropInput,
    attrs.inputShape,
    inputs.filter.shape,
    attrs,
    true,
  );
  const { inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft } = g;
  const mult = outC / inC;
  const out = allocate(backend, attrs.inputShape);
  const dy = heap(backend, inputs.dy);
  const w = heap(backend, inputs.filter);
  const dx = heap(backend, out);
  dx.fill(0);
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
              for (let c = 0; c < inC; c++) dx[x0 + c] += dy[y0 + c] * w[w0 + c];
            } else {
              for (let c = 0; c < inC; c++) {
                let s = 0;
                for (let q = 0; q < mult; q++) s += dy[y0 + c * mult + q] * w[w0 + c * mult + q];
                dx[x0 + c] += s;
              }
            }
          }
        }
      }
    }
  }
  return out;
}

export const depthwiseConv2dNativeBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  backendName: 'wasm',
  kernelFunc: depthwiseConv2dNativeBackpropInput as unknown as KernelFunc,
};
