import { describe, expect, it } from 'vitest';
import { chunksOf, mod, segmentOf } from './segments.ts';

describe('collective segments', () => {
  it('segments - tile the buffer contiguously with lengths differing by at most one', () => {
    for (const count of [0, 1, 2, 6, 7, 8, 100, 1001]) {
      for (const parts of [1, 2, 3, 4, 7]) {
        let at = 0;
        const lengths: number[] = [];
        for (let i = 0; i < parts; i++) {
          const s = segmentOf(count, parts, i);
          expect(s.start).toBe(at);
          lengths.push(s.end - s.start);
          at = s.end;
        }
        expect(at).toBe(count);
        expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
      }
    }
    expect(segmentOf(1, 7, 0)).toEqual({ start: 0, end: 1 });
    expect(segmentOf(1, 7, 6)).toEqual({ start: 1, end: 1 });
  });

  it('segments - chunks cover a span and empty spans have no chunks', () => {
    expect(chunksOf({ start: 3, end: 10 }, 3)).toEqual([
      { start: 3, end: 6 },
      { start: 6, end: 9 },
      { start: 9, end: 10 },
    ]);
    expect(chunksOf({ start: 5, end: 5 }, 3)).toEqual([]);
    expect(mod(-1, 7)).toBe(6);
    expect(mod(-15, 7)).toBe(6);
  });
});
