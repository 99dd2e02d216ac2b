import { describe, expect, it } from 'vitest';
import { pack, planBuckets, unpack } from './fusion.ts';

describe('collective fusion buckets', () => {
  it('fusion - packs consecutive arrays up to bucketBytes and splits on dtype changes', () => {
    const bufs = [
      new Float32Array(10),
      new Float32Array(10),
      new Float32Array(30),
      new Int32Array(2),
      new Int32Array(2),
      new Float32Array(1),
    ];
    expect(planBuckets(bufs, 80)).toEqual([[0, 1], [2], [3, 4], [5]]);
    expect(planBuckets(bufs, 1 << 20)).toEqual([[0, 1, 2], [3, 4], [5]]);
  });

  it('fusion - pack then unpack restores each array from the flat result', () => {
    const bufs = [Float64Array.from([1, 2]), Float64Array.from([3]), Float64Array.from([4, 5, 6])];
    const bucket = pack(bufs, [0, 1, 2]);
    expect([...bucket.flat]).toEqual([1, 2, 3, 4, 5, 6]);
    for (let i = 0; i < bucket.flat.length; i++) bucket.flat[i] *= 10;
    unpack(bufs, bucket);
    expect(bufs.map((b) => [...b])).toEqual([[10, 20], [30], [40, 50, 60]]);
    const single = pack(bufs, [2]);
    expect(single.flat).toBe(bufs[2]);
  });
});
