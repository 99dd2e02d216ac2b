import { describe, expect, it } from 'vitest';
import { finishMean, reduceInto } from './reduce.ts';

describe('collective reduce kernels', () => {
  it('reduce - int32 sums wrap modulo 2^32 exactly and reduce at an offset', () => {
    const into = Int32Array.from([1, 2147483647, -5, 9]);
    reduceInto('sum', into, 1, Int32Array.from([1, 5, 1]));
    expect([...into]).toEqual([1, -2147483648, 0, 10]);
  });

  it('reduce - max and min propagate NaN and keep signed values', () => {
    const a = Float64Array.from([1, Number.NaN, -3, 4]);
    reduceInto('max', a, 0, Float64Array.from([2, 0, Number.NaN, -4]));
    expect([...a]).toEqual([2, Number.NaN, Number.NaN, 4]);
    const b = Float32Array.from([1, -2]);
    reduceInto('min', b, 0, Float32Array.from([0.5, -1]));
    expect([...b]).toEqual([0.5, -2]);
  });

  it('reduce - mean divides floats and truncates int32 toward zero', () => {
    const f = Float32Array.from([3, -3]);
    finishMean(f, 2);
    expect([...f]).toEqual([1.5, -1.5]);
    const i = Int32Array.from([7, -7]);
    finishMean(i, 2);
    expect([...i]).toEqual([3, -3]);
  });
});
