import { describe, expect, it } from 'vitest';
import { simdSum } from './simd.ts';
import type { CollectiveArray } from './types.ts';

type Ctor = Float32ArrayConstructor | Float64ArrayConstructor | Int32ArrayConstructor;

function values(ctor: Ctor, n: number, seed: number): CollectiveArray {
  const out = new ctor(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = ctor === Int32Array ? x | 0 : (x / 2 ** 32 - 0.5) * 10 ** ((x % 7) - 3);
  }
  if (ctor !== Int32Array && n > 3) {
    out[1] = Number.POSITIVE_INFINITY;
    out[2] = -0;
  }
  return out;
}

describe('collective SIMD sums', () => {
  it('simd - equals the plain loop bit for bit for every dtype, length and offset, wrapping int32', () => {
    for (const ctor of [Float32Array, Float64Array, Int32Array]) {
      // Lengths around the 16-byte vector, the 64 KiB stage and the small-array cut-off.
      for (const n of [64, 65, 67, 100, 16384 + 3, 40000]) {
        for (const at of [0, 1, 3]) {
          const into = values(ctor, n + at + 2, n);
          const from = values(ctor, n + 1, at + 7).subarray(1); // an unaligned-to-16 view
          const want = into.slice();
          for (let i = 0; i < n; i++) want[at + i] += from[i];
          expect(simdSum(into, at, from)).toBe(true);
          expect(Buffer.compare(Buffer.from(into.buffer), Buffer.from(want.buffer))).toBe(0);
        }
      }
    }
  });
});
