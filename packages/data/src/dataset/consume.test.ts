import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Row, Tensor } from '../block/index.ts';
import { fromArrays, fromItems, range, readCsv, readJsonl, readParquet } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'manta-consume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const idsOf = (batches: { id: Int32Array }[]) => batches.flatMap((b) => Array.from(b.id));

describe('consume - iterBatches', () => {
  it('cuts batches of batchSize, keeping or dropping the short last one', async () => {
    const ds = range(10, { blockRows: 3 });
    const sizes = async (dropLast: boolean) => {
      const out: number[] = [];
      for await (const b of ds.iterBatches<{ id: Int32Array }>({ batchSize: 4, dropLast }))
        out.push(b.id.length);
      return out;
    };
    expect(await sizes(false)).toEqual([4, 4, 2]);
    expect(await sizes(true)).toEqual([4, 4]);
  });

  it('local shuffle mixes rows within a window, reproducibly with a seed', async () => {
    const ds = range(100, { blockRows: 10 });
    const run = async (seed: number) => {
      const batches: { id: Int32Array }[] = [];
      for await (const b of ds.iterBatches<{ id: Int32Array }>({
        batchSize: 8,
        localShuffleBufferSize: 20,
        seed,
        prefetchBatches: 2,
      }))
        batches.push(b);
      return idsOf(batches);
    };
    const a = await run(1);
    expect(a).toEqual(await run(1));
    expect(a).not.toEqual(await run(2));
    expect(a).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('gives rows and tensors in the requested format', async () => {
    const ds = fromArrays({
      x: { data: new Float32Array(12).map((_, i) => i), shape: [4, 3] },
      y: new Int32Array([0, 1, 2, 3]),
    });
    for await (const b of ds.iterBatches<Record<string, Tensor>>({ batchSize: 4, batchFormat: 'tensor' })) {
      expect(b.x.shape).toEqual([4, 3]);
      expect(b.y.shape).toEqual([4]);
    }
    for await (const b of ds.iterBatches<Row[]>({ batchSize: 2, batchFormat: 'rows' }))
      expect(b).toHaveLength(2);
  });

  it('take, count and schema', async () => {
    const ds = range(1000, { blockRows: 64 });
    expect((await ds.take(3)).map((r) => r.id)).toEqual([0, 1, 2]);
    expect(await ds.count()).toBe(1000);
    expect(await ds.schema()).toEqual({ fields: [{ name: 'id', dtype: 'int32', shape: [] }] });
  });

  it('materialize runs the plan once', async () => {
    let calls = 0;
    const ds = await range(10)
      .map((r) => {
        calls++;
        return r;
      })
      .materialize();
    expect(await ds.count()).toBe(10);
    expect(await ds.count()).toBe(10);
    expect(calls).toBe(10);
  });
});

describe('consume - writers', () => {
  const rows = Array.from({ length: 9 }, (_, i) => ({
    id: i,
    name: `n,"${i}"`,
    score: i / 4,
    ok: i % 2 === 0,
  }));

  it('round-trips Parquet, keeping dtypes and tensor columns', async () => {
    const image = new Uint8Array(9 * 12).map((_, i) => i % 251);
    const ds = fromArrays(
      {
        id: Int32Array.from({ length: 9 }, (_, i) => i),
        w: new Float32Array(9).fill(0.5),
        name: rows.map((r) => r.name),
        image: { data: image, shape: [9, 2, 2, 3] },
      },
      { blockRows: 4 },
    );
    const files = await ds.writeParquet(join(dir, 'pq'));
    expect(files).toHaveLength(3);
    const back = readParquet(join(dir, 'pq'));
    const schema = await back.schema();
    expect(schema?.fields).toEqual([
      { name: 'id', dtype: 'int32', shape: [] },
      { name: 'w', dtype: 'float32', shape: [] },
      { name: 'name', dtype: 'string', shape: [] },
      { name: 'image', dtype: 'uint8', shape: [2, 2, 3] },
    ]);
    const got = await back.takeAll();
    expect(got.map((r) => r.id)).toEqual(rows.map((r) => r.id));
    expect(Array.from(got[5].image as Uint8Array)).toEqual(Array.from(image.subarray(60, 72)));
    expect(got[5].name).toBe('n,"5"');
  });

  it('round-trips CSV, quoting delimiters and quotes', async () => {
    await fromItems(rows, { blockRows: 5 }).writeCsv(join(dir, 'csv'));
    const back = await readCsv(join(dir, 'csv'), { columnTypes: { ok: 'bool' } }).takeAll();
    expect(back).toEqual(rows);
  });

  it('round-trips JSON Lines, tensor cells as arrays', async () => {
    const ds = fromArrays({
      id: new Int32Array([1, 2]),
      v: { data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] },
    });
    await ds.writeJsonl(join(dir, 'jsonl'));
    expect(await readJsonl(join(dir, 'jsonl')).takeAll()).toEqual([
      { id: 1, v: [1, 2] },
      { id: 2, v: [3, 4] },
    ]);
  });
});

describe('consume - splits', () => {
  it('split(n) covers every row once; equal gives the same count', async () => {
    const ds = range(11, { blockRows: 4 });
    const parts = await ds.split(3);
    const counts = await Promise.all(parts.map((p) => p.count()));
    expect(counts).toEqual([3, 4, 4]);
    const all = (await Promise.all(parts.map((p) => p.takeAll()))).flat().map((r) => r.id);
    expect(all).toEqual(Array.from({ length: 11 }, (_, i) => i));
    const equal = await ds.split(3, { equal: true });
    expect(await Promise.all(equal.map((p) => p.count()))).toEqual([3, 3, 3]);
  });

  it('streamingSplit(3) delivers every row exactly once per epoch, reshuffled per epoch', async () => {
    const n = 500;
    const shards = range(n, { blockRows: 16 }).streamingSplit(3, { shuffleEachEpoch: { seed: 7 } });
    const epoch = async () =>
      Promise.all(
        shards.map(async (shard) => {
          const got: number[] = [];
          for await (const b of shard.iterBatches<{ id: Int32Array }>({ batchSize: 10 })) {
            got.push(...b.id);
            await new Promise((r) => setTimeout(r, 0));
          }
          return got;
        }),
      );
    const first = await epoch();
    const second = await epoch();
    for (const shardsRows of [first, second]) {
      const all = shardsRows.flat();
      expect(all).toHaveLength(n);
      expect(new Set(all).size).toBe(n);
      for (const rows of shardsRows) expect(rows.length).toBeGreaterThan(0);
    }
    expect(first.flat()).not.toEqual(second.flat());
  });

  it('streamingSplit with equal gives each shard the same rows', async () => {
    const shards = range(100, { blockRows: 7 }).streamingSplit(3, { equal: true });
    const counts = await Promise.all(
      shards.map(async (s) => {
        const seen: number[] = [];
        for await (const r of s.iterRows()) seen.push(r.id as number);
        return seen;
      }),
    );
    expect(counts.map((c) => c.length)).toEqual([33, 33, 33]);
    expect(new Set(counts.flat()).size).toBe(99);
  });
});
