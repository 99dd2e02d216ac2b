import { ConfigError } from '@manta/core';
import { describe, expect, it } from 'vitest';
import { DataOperatorError, DataSchemaError } from '../errors/index.ts';
import { agg, fromArrays, fromItems, range } from './index.ts';

const ids = (rows: Record<string, unknown>[]) => rows.map((r) => r.id as number);

describe('dataset - row transforms', () => {
  it('chains map, flatMap and filter lazily', async () => {
    let calls = 0;
    const ds = range(20, { blockRows: 6 })
      .map((r) => {
        calls++;
        return { id: r.id, half: (r.id as number) / 2 };
      })
      .filter((r) => (r.id as number) % 4 === 0)
      .flatMap((r) => [r, { id: -(r.id as number), half: 0 }]);
    expect(calls).toBe(0);
    const rows = await ds.takeAll();
    expect(ids(rows)).toEqual([0, -0, 4, -4, 8, -8, 12, -12, 16, -16]);
    expect(rows[2]).toEqual({ id: 4, half: 2 });
  });

  it('wraps errors thrown by user code, naming the operator', async () => {
    const error = await range(5)
      .map((r) => {
        if (r.id === 3) throw new Error('boom');
        return r;
      })
      .takeAll()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataOperatorError);
    expect((error as Error).message).toBe('map failed: Error: boom');
  });

  it('limit stops reading once it has enough rows', async () => {
    let mapped = 0;
    const rows = await range(10_000, { blockRows: 100 })
      .map((r) => {
        mapped++;
        return r;
      })
      .limit(150)
      .takeAll();
    expect(ids(rows)).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(mapped).toBeLessThanOrEqual(100 * 8); // a few blocks read ahead, not all 100
  });
});

describe('dataset - combining', () => {
  it('union concatenates in order', async () => {
    expect(ids(await range(3).union(range(2), range(1)).takeAll())).toEqual([0, 1, 2, 0, 1, 0]);
  });

  it('zip joins row by row across different block sizes, renaming clashes', async () => {
    const left = range(10, { blockRows: 3 });
    const right = fromArrays(
      {
        id: Float32Array.from({ length: 10 }, (_, i) => i * 10),
        y: Array.from({ length: 10 }, (_, i) => `y${i}`),
      },
      { blockRows: 4 },
    );
    const rows = await left.zip(right).takeAll();
    expect(rows[7]).toEqual({ id: 7, id_1: 70, y: 'y7' });
    await expect(range(3).zip(range(4)).takeAll()).rejects.toThrow(DataSchemaError);
  });
});

describe('dataset - all-to-all', () => {
  it('randomShuffle is a permutation, reproducible with a seed', async () => {
    const ds = range(200, { blockRows: 32 });
    const a = ids(await ds.randomShuffle({ seed: 42 }).takeAll());
    const b = ids(await ds.randomShuffle({ seed: 42 }).takeAll());
    const c = ids(await ds.randomShuffle({ seed: 43 }).takeAll());
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).not.toEqual(ids(await ds.takeAll()));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it('repartition changes the block count, not the rows', async () => {
    const blocks = await range(100, { blockRows: 7 }).repartition(4).blocks();
    expect(blocks.map((b) => b.numRows)).toEqual([25, 25, 25, 25]);
  });

  it('sort orders by one or more keys', async () => {
    const ds = fromItems([
      { g: 'b', v: 1 },
      { g: 'a', v: 3 },
      { g: 'b', v: 0 },
      { g: 'a', v: 2 },
    ]);
    expect((await ds.sort(['g', 'v']).takeAll()).map((r) => `${r.g}${r.v}`)).toEqual([
      'a2',
      'a3',
      'b0',
      'b1',
    ]);
    expect((await ds.sort('v', { descending: true }).takeAll()).map((r) => r.v)).toEqual([3, 2, 1, 0]);
  });

  it('groupBy aggregates count, sum, mean, min and max per key', async () => {
    const ds = range(12, { blockRows: 5 }).map((r) => ({ k: (r.id as number) % 3, x: r.id }));
    const rows = await ds
      .groupBy('k')
      .aggregate(agg.count(), agg.sum('x'), agg.mean('x'), agg.min('x'), agg.max('x'))
      .takeAll();
    expect(rows).toEqual([
      { k: 0, 'count()': 4, 'sum(x)': 18, 'mean(x)': 4.5, 'min(x)': 0, 'max(x)': 9 },
      { k: 1, 'count()': 4, 'sum(x)': 22, 'mean(x)': 5.5, 'min(x)': 1, 'max(x)': 10 },
      { k: 2, 'count()': 4, 'sum(x)': 26, 'mean(x)': 6.5, 'min(x)': 2, 'max(x)': 11 },
    ]);
    expect(await ds.groupBy('k').count().count()).toBe(3);
    expect(await ds.sum('x')).toBe(66);
    expect(await ds.mean('x')).toBe(5.5);
    expect(await ds.max('x')).toBe(11);
  });
});

describe('dataset - mapBatches', () => {
  it('passes columns, rows or tensors in batches of batchSize across block boundaries', async () => {
    const sizes: number[] = [];
    const ds = range(10, { blockRows: 3 }).mapBatches(
      (batch: { id: Int32Array }) => {
        sizes.push(batch.id.length);
        return { id: batch.id, double: Float32Array.from(batch.id, (v) => v * 2) };
      },
      { batchSize: 4 },
    );
    const rows = await ds.takeAll();
    expect(sizes).toEqual([4, 4, 2]);
    expect(rows[9]).toEqual({ id: 9, double: 18 });
    const asRows = await range(3)
      .mapBatches((rows: Record<string, unknown>[]) => rows.map((r) => ({ n: r.id })), {
        batchFormat: 'rows',
      })
      .takeAll();
    expect(asRows).toEqual([{ n: 0 }, { n: 1 }, { n: 2 }]);
    const shapes: number[][] = [];
    await fromArrays({ img: { data: new Uint8Array(6 * 4), shape: [6, 2, 2] } })
      .mapBatches(
        (b: { img: { shape: number[] } }) => {
          shapes.push(b.img.shape);
          return b;
        },
        { batchSize: 4, batchFormat: 'tensor' },
      )
      .count();
    expect(shapes).toEqual([
      [4, 2, 2],
      [2, 2, 2],
    ]);
  });

  it('constructs a class once per worker and reuses it', async () => {
    const made: number[] = [];
    class AddOffset {
      private readonly offset: number;
      constructor(offset: number) {
        this.offset = offset;
        made.push(offset);
      }
      call(batch: { id: Int32Array }) {
        return { y: Float64Array.from(batch.id, (v) => v + this.offset) };
      }
    }
    const rows = await range(100, { blockRows: 10 })
      .mapBatches(AddOffset, { batchSize: 5, concurrency: 2, constructorArgs: [1000] })
      .takeAll();
    expect(rows.map((r) => r.y)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1000));
    expect(made).toEqual([1000, 1000]);
  });

  it('validates options, naming the field', () => {
    expect(() => range(3).mapBatches((b) => b, { batchSize: 0 })).toThrow(ConfigError);
    expect(() => range(3).mapBatches((b) => b, { batchFormat: 'numpy' as never })).toThrow(
      /mapBatches options.batchFormat/,
    );
  });
});
