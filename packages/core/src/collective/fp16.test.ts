import { describe, expect, it } from 'vitest';
import { decodeHalf, encodeHalf, fromHalfBits, roundToHalf, toHalfBits } from './fp16.ts';

describe('collective fp16', () => {
  it('fp16 - every finite half value round-trips through float32 exactly', () => {
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaN payloads
      expect(toHalfBits(fromHalfBits(h))).toBe(h);
    }
  });

  it('fp16 - rounds to nearest even, overflows to infinity, underflows to zero', () => {
    expect(fromHalfBits(toHalfBits(1 + 2 ** -11))).toBe(1); // tie -> even (1.0)
    expect(fromHalfBits(toHalfBits(1 + 3 * 2 ** -11))).toBe(1 + 2 ** -9); // tie -> even (up)
    expect(fromHalfBits(toHalfBits(1 + 2 ** -11 + 2 ** -20))).toBe(1 + 2 ** -10);
    expect(fromHalfBits(toHalfBits(65504))).toBe(65504);
    expect(fromHalfBits(toHalfBits(70000))).toBe(Number.POSITIVE_INFINITY);
    expect(fromHalfBits(toHalfBits(-1e-9))).toBe(-0);
    expect(fromHalfBits(toHalfBits(2 ** -24))).toBe(2 ** -24); // smallest subnormal
    expect(fromHalfBits(toHalfBits(3 * 2 ** -25))).toBe(2 * 2 ** -24); // subnormal tie -> even
    expect(Number.isNaN(fromHalfBits(toHalfBits(Number.NaN)))).toBe(true);
  });

  it('fp16 - relative error of encode/decode stays within 2^-11 in the normal range', () => {
    const src = Float32Array.from({ length: 10_000 }, (_, i) => Math.sin(i) * 1000);
    const back = decodeHalf(encodeHalf(src));
    for (let i = 0; i < src.length; i++) {
      if (Math.abs(src[i]) < 2 ** -14) continue;
      expect(Math.abs(back[i] - src[i])).toBeLessThanOrEqual(Math.abs(src[i]) * 2 ** -11);
    }
    const rounded = src.slice();
    roundToHalf(rounded);
    expect(rounded).toEqual(back);
  });
});
