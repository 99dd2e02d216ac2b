/**
 * Convolution geometry (NHWC), derived from tfjs's own Conv2DInfo so that padding and output
 * sizes agree with the forward kernels.
 */

import { MantaError } from '@manta/core';
import * as tf from '@tensorflow/tfjs';

export interface ConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export function convGeometry(
  kernel: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  attrs: {
    strides: [number, number] | number;
    pad: Pad;
    dilations?: [number, number] | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    dataFormat?: 'NHWC' | 'NCHW';
  },
  depthwise: boolean,
): ConvGeometry {
  if (attrs.dataFormat === 'NCHW') {
    throw new MantaError(
      'TFJS_KERNEL_UNSUPPORTED',
      `${kernel} on wasm supports dataFormat 'NHWC' only, got 'NCHW'`,
    );
  }
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  );
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    kH: info.filterHeight,
    kW: info.filterWidth,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
    dilH: info.dilationHeight,
    dilW: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
    padBottom: info.padInfo.bottom,
    padRight: info.padInfo.right,
  };
}

/** The output columns [start, end) whose input column `o * stride - pad + k * dil` is inside [0, size). */
export function validRange(
  outSize: number,
  size: number,
  stride: number,
  pad: number,
  offset: number,
): [number, number] {
  // offset = k * dil; need 0 <= o * stride - pad + offset < size
  const start = Math.max(0, Math.ceil((pad - offset) / stride));
  const end = Math.min(outSize, Math.floor((size - 1 + pad - offset) / stride) + 1);
  return [start, Math.max(start, end)];
}

/** Batch elements per chunk so that a chunk's column matrix holds at most `maxElements` floats. */
export function batchChunk(g: ConvGeometry, maxElements: number): number {
  const perBatch = g.outH * g.outW * g.kH * g.kW * g.inC;
  return Math.max(1, Math.min(g.batch, Math.floor(maxElements / perBatch)));
}
