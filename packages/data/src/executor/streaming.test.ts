import { describe, expect, it } from 'vitest';
import { blockFromColumns } from '../block/index.ts';
import { fromSource, range } from '../dataset/index.ts';
import type { Datasource, ReadTask } from '../source/index.ts';
import { StreamingExecutor } from './index.ts';

const BLOCK_ROWS = 1024;
const ROW_FLOATS = 64; // 256 bytes per row -> 256 KiB blocks

/** A source of `blocks` blocks of float32 features, counting how many are being read or alive. */
function featureSource(blocks: number): Datasource & { reads: number } {
  const source = {
    name: 'features',
    reads: 0,
    async readTasks(): Promise<ReadTask[]> {
      return Array.from({ length: blocks }, (_, t) => ({
        name: `features[${t}]`,
        estimatedRows: BLOCK_ROWS,
        estimatedBytes: BLOCK_ROWS * (ROW_FLOATS * 4 + 4),
        estimatedBlocks: 1,
        async *read() {
          source.reads++;
          await new Promise((r) => setTimeout(r, 0));
          const x = new Float32Array(BLOCK_ROWS * ROW_FLOATS).fill(t);
          const id = Int32Array.from({ length: BLOCK_ROWS }, (_, i) => t * BLOCK_ROWS + i);
          yield blockFromColumns({ id, x: { data: x, shape: [BLOCK_ROWS, ROW_FLOATS] } });
        },
      }));
    },
  };
  return source;
}

describe('executor - backpressure', () => {
  it('streams a dataset much larger than the budget through mapBatches with bounded bytes in flight', async () => {
    const budget = 4 << 20; // 4 MiB; the dataset is 128 blocks of ~260 KiB = ~33 MiB
    const executor = new StreamingExecutor({
      maxInFlightBytes: budget,
      maxInFlightBlocks: 64,
      readConcurrency: 4,
    });
    const source = featureSource(128);
    const ds = fromSource(source)
      .withExecutor(executor)
      .mapBatches(
        async (b: { id: Int32Array; x: { data: Float32Array; shape: number[] } }) => {
          await new Promise((r) => setTimeout(r, 0));
          const mean = new Float32Array(b.id.length);
          for (let i = 0; i < b.id.length; i++) mean[i] = b.x.data[i * ROW_FLOATS];
          return { id: b.id, x: b.x, mean };
        },
        { batchSize: 512, concurrency: 2 },
      );
    const stream = ds.iterBlocks();
    let rows = 0;
    let total = 0;
    let maxReadAhead = 0;
    for await (const block of stream) {
      rows += block.numRows;
      total += block.numRows * (ROW_FLOATS * 4 + 8);
      maxReadAhead = Math.max(maxReadAhead, source.reads * BLOCK_ROWS - rows);
      await new Promise((r) => setTimeout(r, 1)); // a slow consumer
    }
    expect(rows).toBe(128 * BLOCK_ROWS);
    expect(total).toBeGreaterThan(8 * budget);
    expect(stream.stats.peakInFlightBytes).toBeGreaterThan(budget / 4); // it did use the room
    expect(stream.stats.peakInFlightBytes).toBeLessThanOrEqual(budget);
    expect(stream.stats.peakInFlightBlocks).toBeLessThanOrEqual(64);
    // Reads never ran more than a budget's worth of rows ahead of the consumer.
    expect(maxReadAhead).toBeLessThanOrEqual((budget / (BLOCK_ROWS * ROW_FLOATS * 4)) * BLOCK_ROWS);
    expect(stream.stats.inFlightBytes).toBe(0);
    expect(stream.stats.blocksRead).toBe(128);
  });

  it('never deadlocks when one batch is bigger than the whole budget', async () => {
    const executor = new StreamingExecutor({ maxInFlightBytes: 64 << 10, maxInFlightBlocks: 4 });
    const ds = fromSource(featureSource(6))
      .withExecutor(executor)
      .mapBatches((b) => b, { batchSize: 3 * BLOCK_ROWS });
    const stream = ds.iterBlocks();
    let rows = 0;
    for await (const block of stream) rows += block.numRows;
    expect(rows).toBe(6 * BLOCK_ROWS);
    expect(stream.stats.forcedAdmissions).toBeGreaterThan(0);
  });

  it('propagates a failing read and stops the stream', async () => {
    const failing: Datasource = {
      name: 'failing',
      async readTasks() {
        return [0, 1, 2].map((t) => ({
          name: `t${t}`,
          async *read() {
            if (t === 1) throw new Error('disk on fire');
            yield blockFromColumns({ x: [t] });
          },
        }));
      },
    };
    await expect(fromSource(failing).takeAll()).rejects.toThrow('disk on fire');
  });

  it('keeps output order with concurrent workers of different speeds', async () => {
    const rows = await range(200, { blockRows: 10 })
      .mapBatches(
        async (b: { id: Int32Array }) => {
          await new Promise((r) => setTimeout(r, b.id[0] % 20 === 0 ? 5 : 0));
          return b;
        },
        { batchSize: 10, concurrency: 4 },
      )
      .takeAll();
    expect(rows.map((r) => r.id)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});

describe('executor - early exit', () => {
  it('stops reading when the consumer breaks out, even with workers mid-flight', async () => {
    const executor = new StreamingExecutor({ maxInFlightBytes: 1 << 20, readConcurrency: 4 });
    const source = featureSource(64);
    const ds = fromSource(source)
      .withExecutor(executor)
      .mapBatches(
        async (b) => {
          await new Promise((r) => setTimeout(r, 2));
          return b;
        },
        { batchSize: 256, concurrency: 3 },
      );
    const stream = ds.iterBlocks();
    let seen = 0;
    for await (const block of stream) {
      seen += block.numRows;
      if (seen >= 2 * BLOCK_ROWS) break;
    }
    expect(source.reads).toBeLessThan(16);
    expect(stream.stats.blocksOutput).toBeLessThan(16);
  });
});

describe('executor - unordered output', () => {
  it('lets fast batches pass slow ones but keeps every row exactly once', async () => {
    const rows = await range(300, { blockRows: 10 })
      .withExecutor(new StreamingExecutor({ preserveOrder: false }))
      .mapBatches(
        async (b: { id: Int32Array }) => {
          // The first batch is slow: unordered output must not wait for it.
          await new Promise((r) => setTimeout(r, b.id[0] === 0 ? 50 : 0));
          return b;
        },
        { batchSize: 10, concurrency: 4 },
      )
      .takeAll();
    const ids = rows.map((r) => r.id as number);
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(ids[0]).not.toBe(0);
  });
});
