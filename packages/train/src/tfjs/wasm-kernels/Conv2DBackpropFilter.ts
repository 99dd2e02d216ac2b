/**
 * Conv2DBackpropFilter for wasm (the backend ships none): dW [kH*kW*inC, outC] =
 * colT [M, P] x dy [P, outC]. colT is built in JS from a channels-first copy of x (see
 * im2col.ts) and the product runs on the backend's untransposed BatchMatMul (its transposed
 * variants take a path about 10x slower, measured). Batches go in chunks to bound colT.
 * For stride 2 (and more) the taps split by residue into stride-1 problems on decimated
 * planes of x (see tapGroups), whose column matrices are block copies: measured about 2x
 * faster to build than the strided gather, at the demo ResNet's downsampling shapes.
 *
 * Also measured and dropped: computing dW as an XNNPACK forward convolution (x as
 * [inC, H, W, batch] convolved with dy as the filter): slower at every ResNet shape tried.
 */

import type { Conv2DBackpropFilterAttrs, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs';
import { byteOffset, simdKernels } from '../wasm-simd/index.ts';
import { type ConvGeometry, convGeometry } from './geometry.ts';
import { im2colTransposed, toChannelsFirst, toChannelsFirstDecimated } from './im2col.ts';
import {
  allocate,
  type BackendWasm,
  heap,
  heapF32,
  matMul,
  offsetOf,
  release,
  view,
} from './wasm-backend.ts';

export const conv2DBackpropFilterTuning = {
  /**
   * Largest column matrix per chunk, in floats (128 MiB). Measured on the demo ResNet: 4 MiB
   * chunks mean many small matmuls, 2-3x slower at 16x16x64; 64 and 128 MiB were alike.
   */
  maxColumnElements: 32 << 20,
  /** Split stride > 1 problems into stride-1 problems on decimated planes (see tapGroups). */
  decimate: true,
};

export function conv2DBackpropFilter(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: BackendWasm;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const g = convGeometry(tf.Conv2DBackpropFilter, x.shape, attrs.filterShape, attrs, false);
  const groups = tapGroups(g);
  const positions = g.outH * g.outW;
  // Every group's column matrix has the same columns (the output positions), so their rows
  // stack into one colT and one matmul: the backend packs its right operand (dy) on every
  // call, about 4 ns per element (measured), so one call per group would repack dy.
  const rowsOf = groups.map((t) => t.g.kH * t.g.kW * t.g.inC);
  const M = rowsOf.reduce((a, b) => a + b, 0);
  const chunk = Math.max(
    1,
    Math.min(g.batch, Math.floor(conv2DBackpropFilterTuning.maxColumnElements / (positions * M))),
  );
  const out = allocate(backend, [g.kH, g.kW, g.inC, g.outC]);
  const xT = allocate(backend, [g.inC, g.batch, g.inH, g.inW]);
  channelsFirst(backend, x, xT, g, groups);
  // dW rows in filter order (kh, kw, ci), summed over batch chunks.
  const sum = new Float32Array(g.kH * g.kW * g.inC * g.outC);
  for (let b0 = 0; b0 < g.batch; b0 += chunk) {
    const b1 = Math.min(g.batch, b0 + chunk);
    const P = (b1 - b0) * positions;
    let dyChunk = view(dy, [P, g.outC]);
    if (chunk !== g.batch) {
      dyChunk = allocate(backend, [P, g.outC]);
      heap(backend, dyChunk).set(
        heap(backend, dy).subarray(b0 * positions * g.outC, b1 * positions * g.outC),
      );
    }
    const colT = allocate(backend, [M, P]);
    let row = 0;
    groups.forEach((group, i) => {
      im2colTransposed(
        heapF32(backend),
        offsetOf(backend, xT) + group.offset,
        group.g,
        b0,
        b1,
        offsetOf(backend, colT) + row * P,
      );
      row += rowsOf[i];
    });
    const dW = matMul(backend, colT, dyChunk);
    const part = heap(backend, dW);
    row = 0;
    groups.forEach((group, i) => {
      addGroupRows(part.subarray(row * g.outC, (row + rowsOf[i]) * g.outC), group, g, sum);
      row += rowsOf[i];
    });
    release(backend, colT, dW);
    if (dyChunk.dataId !== dy.dataId) release(backend, dyChunk);
  }
  release(backend, xT);
  heap(backend, out).set(sum);
  return out;
}

/**
 * x [B, H, W, C] -> xT [C, B, H, W], or for decimated groups the residue planes they use (see
 * toChannelsFirstDecimated): in wasm (../wasm-simd, measured about 3x faster than the JS
 * gather) when available.
 */
function channelsFirst(
  backend: BackendWasm,
  x: TensorInfo,
  xT: TensorInfo,
  g: ConvGeometry,
  groups: TapGroup[],
): void {
  const s = groups[0].stride;
  const used = Array.from({ length: s * s }, (_, i) => groups.some((t) => t.plane === i));
  const simd = simdKernels(backend);
  if (!simd) {
    if (s === 1) toChannelsFirst(heap(backend, x), g, heap(backend, xT));
    else toChannelsFirstDecimated(heap(backend, x), g, s, used, heap(backend, xT));
    return;
  }
  const { batch: B, inH, inW, inC: C } = g;
  const src = byteOffset(backend, x);
  const dst = byteOffset(backend, xT);
  const hs = inH / s;
  const ws = inW / s;
  const channelPlane = B * hs * ws;
  for (let ph = 0; ph < s; ph++) {
    for (let pw = 0; pw < s; pw++) {
      if (!used[ph * s + pw]) continue;
      const residue = dst + (ph * s + pw) * C * channelPlane * 4;
      for (let b = 0; b < B; b++) {
        simd.gather_channels(
          src + ((b * inH + ph) * inW + pw) * C * 4,
          residue + b * hs * ws * 4,
          C,
          hs,
          s * inW * C * 4,
          ws,
          s * C * 4,
          channelPlane * 4,
        );
      }
    }
  }
}

/**
 * A stride-1 problem whose column matrix holds some of the filter's taps: rows kh = firstH +
 * stride * th (th < g.kH), columns likewise, over the residue plane at element `offset` of xT.
 */
interface TapGroup {
  stride: number;
  /** Residue plane ph * stride + pw. */
  plane: number;
  g: ConvGeometry;
  offset: number;
  firstH: number;
  firstW: number;
}

/**
 * For stride s > 1 with H and W multiples of s: input row ih = s * oh - padTop + kh lies in
 * residue plane ph = (kh - padTop) mod s at row oh + (kh - padTop - ph) / s, so the taps with
 * one residue form a stride-1 problem on that plane (padding -(kh0 - padTop - ph) / s). Their
 * column matrices are shifted copies of whole planes, instead of a gather per element.
 * Otherwise one group: the whole problem, strided.
 */
function tapGroups(g: ConvGeometry): TapGroup[] {
  const s = g.strideH;
  const decimate =
    conv2DBackpropFilterTuning.decimate &&
    s > 1 &&
    g.strideW === s &&
    g.dilH === 1 &&
    g.dilW === 1 &&
    g.inH % s === 0 &&
    g.inW % s === 0;
  if (!decimate) return [{ stride: 1, plane: 0, g, offset: 0, firstH: 0, firstW: 0 }];
  const hs = g.inH / s;
  const ws = g.inW / s;
  const groups: TapGroup[] = [];
  for (let ph = 0; ph < s; ph++) {
    const firstH = (((ph + g.padTop) % s) + s) % s;
    if (firstH >= g.kH) continue;
    for (let pw = 0; pw < s; pw++) {
      const firstW = (((pw + g.padLeft) % s) + s) % s;
      if (firstW >= g.kW) continue;
      groups.push({
        stride: s,
        plane: ph * s + pw,
        firstH,
        firstW,
        offset: (ph * s + pw) * g.inC * g.batch * hs * ws,
        g: {
          ...g,
          inH: hs,
          inW: ws,
          kH: Math.floor((g.kH - 1 - firstH) / s) + 1,
          kW: Math.floor((g.kW - 1 - firstW) / s) + 1,
          strideH: 1,
          strideW: 1,
          padTop: -(firstH - g.padTop - ph) / s,
          padLeft: -(firstW - g.padLeft - pw) / s,
          padBottom: 0,
          padRight: 0,
        },
      });
    }
  }
  return groups;
}

/** sum[rows of dW for the group's taps] += part [tapsH * tapsW * inC, outC]. */
function addGroupRows(part: Float32Array, group: TapGroup, g: ConvGeometry, sum: Float32Array): void {
  const rowSize = g.inC * g.outC;
  let src = 0;
  for (let th = 0; th < group.g.kH; th++) {
    for (let tw = 0; tw < group.g.kW; tw++) {
      const kh = group.firstH + group.stride * th;
      const kw = group.firstW + group.stride * tw;
      let dst = (kh * g.kW + kw) * rowSize;
      for (let i = 0; i < rowSize; i++) sum[dst++] += part[src++];
    }
  }
}

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter as unknown as KernelFunc,
};
