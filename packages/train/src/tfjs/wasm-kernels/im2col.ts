/**
 * Column matrices for convolution gradients, in plain typed arrays.
 *
 * `im2colTransposed` writes colT [M, P] (M = kH*kW*inC patch entries in filter order, P =
 * output positions of batches [b0, b1)), so that dW [M, outC] = colT x dy [P, outC] is an
 * untransposed matmul. It reads x channels-first (`toChannelsFirst`), so that each colT row
 * is a shifted copy of one input channel plane: for stride 1 with same-size output the whole
 * plane moves in one `copyWithin` and only the borders are fixed up; otherwise row by row.
 * Both arrays are views of one buffer (the wasm heap), addressed by element offsets.
 *
 * `col2im` scatters dcol [P, M] back onto dx.
 */
import { type ConvGeometry, validRange } from './geometry.ts';

/**
 * x [B, H, W, C] -> s * s residue planes, plane (ph, pw) = [C, B, H / s, W / s] holding
 * x[b, s * i + ph, s * j + pw, c]; H and W must be multiples of s. Each plane is the input of
 * a stride-1 problem (see Conv2DBackpropFilter.ts). Planes not marked in `used` (by index
 * ph * s + pw) are left unwritten.
 */
export function toChannelsFirstDecimated(
  x: Float32Array,
  g: ConvGeometry,
  s: number,
  used: readonly boolean[],
  xT: Float32Array,
): void {
  const { batch: B, inH, inW, inC: C } = g;
  const hs = inH / s;
  const ws = inW / s;
  const channelPlane = B * hs * ws;
  const residuePlane = C * channelPlane;
  for (let b = 0; b < B; b++) {
    for (let ih = 0; ih < inH; ih++) {
      const ph = ih % s;
      const rowBase = ph * s * residuePlane + (b * hs + (ih - ph) / s) * ws;
      let src = (b * inH + ih) * inW * C;
      for (let iw = 0; iw < inW; iw++, src += C) {
        const pw = iw % s;
        if (!used[ph * s + pw]) continue;
        let dst = rowBase + pw * residuePlane + (iw - pw) / s;
        for (let c = 0; c < C; c++, dst += channelPlane) xT[dst] = x[src + c];
      }
    }
  }
}

/** x [B, H, W, C] -> xT [C, B, H, W], one [H*W, C] -> [C, H*W] block per image. */
export function toChannelsFirst(x: Float32Array, g: ConvGeometry, xT: Float32Array): void {
  const { batch: B, inC: C } = g;
  const HW = g.inH * g.inW;
  const plane = B * HW;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      let src = b * HW * C + c;
      const dst = c * plane + b * HW;
      for (let i = 0; i < HW; i++, src += C) xT[dst + i] = x[src];
    }
  }
}

/**
 * colT[m, p] for output positions of batches [b0, b1), from xT = heap[xT0 ...] (channels-first,
 * all batches) into heap[col0 ...].
 */
export function im2colTransposed(
  heap: Float32Array,
  xT0: number,
  g: ConvGeometry,
  b0: number,
  b1: number,
  col0: number,
): void {
  const { batch, inH, inW, inC, outH, outW, kW, strideH, strideW, dilH, dilW, padTop, padLeft } = g;
  const P = (b1 - b0) * outH * outW;
  const inPlane = batch * inH * inW;
  const wholePlane = strideH === 1 && strideW === 1 && outH === inH && outW === inW;
  for (let kh = 0; kh < g.kH; kh++) {
    const [ohStart, ohEnd] = validRange(outH, inH, strideH, padTop, kh * dilH);
    for (let kw = 0; kw < kW; kw++) {
      const [owStart, owEnd] = validRange(outW, inW, strideW, padLeft, kw * dilW);
      for (let c = 0; c < inC; c++) {
        const dst0 = col0 + ((kh * kW + kw) * inC + c) * P;
        const src0 = xT0 + c * inPlane + b0 * inH * inW;
        if (wholePlane) {
          const shift = (kh * dilH - padTop) * inW + (kw * dilW - padLeft);
          const from = Math.max(0, -shift);
          const to = Math.min(P, P - shift);
          if (from > 0) heap.fill(0, dst0, dst0 + from);
          if (to < P) heap.fill(0, dst0 + to, dst0 + P);
          if (to > from) heap.copyWithin(dst0 + from, src0 + from + shift, src0 + to + shift);
          zeroBorders(heap, dst0, b1 - b0, outH, outW, ohStart, ohEnd, owStart, owEnd);
          continue;
        }
        for (let b = 0; b < b1 - b0; b++) {
          for (let oh = 0; oh < outH; oh++) {
            const dst = dst0 + (b * outH + oh) * outW;
            if (oh < ohStart || oh >= ohEnd || owStart >= owEnd) {
              heap.fill(0, dst, dst + outW);
              continue;
            }
            const ih = oh * strideH - padTop + kh * dilH;
            const src = src0 + (b * inH + ih) * inW + owStart * strideW - padLeft + kw * dilW;
            if (owStart > 0) heap.fill(0, dst, dst + owStart);
            if (strideW === 1) {
              heap.copyWithin(dst + owStart, src, src + owEnd - owStart);
            } else {
              for (let ow = owStart, s = src; ow < owEnd; ow++, s += strideW) heap[dst + ow] = heap[s];
            }
            if (owEnd < outW) heap.fill(0, dst + owEnd, dst + outW);
          }
        }
      }
    }
  }
}

/** Zeroes rows outside [ohStart, ohEnd) and columns outside [owStart, owEnd) of each image. */
function zeroBorders(
  heap: Float32Array,
  dst0: number,
  images: number,
  outH: number,
  outW: number,
  ohStart: number,
  ohEnd: number,
  owStart: number,
  owEnd: number,
): void {
  const image = outH * outW;
  for (let b = 0; b < images; b++) {
    const base = dst0 + b * image;
    if (ohStart > 0) heap.fill(0, base, base + ohStart * outW);
    if (ohEnd < outH) heap.fill(0, base + ohEnd * outW, base + image);
    if (owStart === 0 && owEnd === outW) continue;
    for (let oh = ohStart; oh < ohEnd; oh++) {
      const row = base + oh * outW;
      for (let ow = 0; ow < owStart; ow++) heap[row + ow] = 0;
      for (let ow = owEnd; ow < outW; ow++) heap[row + ow] = 0;
    }
  }
}

/** dx[b, ih, iw, c] += dcol[p, m] for batches [b0, b1); dx must be zeroed by the caller. */
export function col2im(dcol: Float32Array, g: ConvGeometry, b0: number, b1: number, dx: Float32Array): void {
  const { inH, inW, inC, outH, outW, kH, kW, strideH, strideW, dilH, dilW, padTop, padLeft } = g;
  const M = kH * kW * inC;
  for (let b = b0; b < b1; b++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let kh = 0; kh < kH; kh++) {
        const ih = oh * strideH - padTop + kh * dilH;
        if (ih < 0 || ih >= inH) continue;
        const rowBase = (b * inH + ih) * inW;
        for (let kw = 0; kw < kW; kw++) {
          const [owStart, owEnd] = validRange(outW, inW, strideW, padLeft, kw * dilW);
          const mBase = (kh * kW + kw) * inC;
          for (let ow = owStart; ow < owEnd; ow++) {
            const dst = (rowBase + ow * strideW - padLeft + kw * dilW) * inC;
            const src = (((b - b0) * outH + oh) * outW + ow) * M + mBase;
            for (let c = 0; c < inC; c++) dx[dst + c] += dcol[src + c];
          }
        }
      }
    }
  }
}
