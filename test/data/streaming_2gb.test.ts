import { range, StreamingExecutor } from '@manta/data';
import { describe, expect, it } from 'vitest';

const FEATURES = 512; // 2 KiB of float32 per row
const ROWS = 1 << 20; // 2 GiB of features in all
const GIB = 1 << 30;

describe('streaming a dataset larger than memory', () => {
  it('streams 2 GiB of generated rows through mapBatches with peak RSS well under 2 GiB', async () => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 20);
    const budget = 128 << 20;
    try {
      const stream = range(ROWS, { blockRows: 8192 })
        .withExecutor(new StreamingExecutor({ maxInFlightBytes: budget }))
        // Generated lazily, block by block: 16 MiB of features per 8192-row block.
        .mapBatches(
          (b: { id: Int32Array }) => {
            const n = b.id.length;
            const x = new Float32Array(n * FEATURES);
            for (let r = 0; r < n; r++) x.fill(b.id[r] % 1000, r * FEATURES, (r + 1) * FEATURES);
            return { id: b.id, x: { data: x, shape: [n, FEATURES] } };
          },
          { batchSize: 4096 },
        )
        // A second stage reduces each row to its mean, like a model scoring features.
        .mapBatches(
          (b: { id: Int32Array; x: { data: Float32Array } }) => {
            const n = b.id.length;
            const mean = new Float32Array(n);
            for (let r = 0; r < n; r++) {
              let s = 0;
              for (let k = r * FEATURES; k < (r + 1) * FEATURES; k += 64) s += b.x.data[k];
              mean[r] = s / (FEATURES / 64);
            }
            return { id: b.id, mean };
          },
          { batchSize: 4096, concurrency: 2 },
        )
        .iterBlocks();
      let rows = 0;
      let checksum = 0;
      for await (const block of stream) {
        const mean = block.columns.mean.data as Float32Array;
        for (let i = 0; i < block.numRows; i++) checksum += mean[i];
        rows += block.numRows;
        peak = Math.max(peak, process.memoryUsage().rss);
      }
      expect(rows).toBe(ROWS);
      let expected = 0;
      for (let id = 0; id < ROWS; id++) expected += id % 1000;
      expect(checksum).toBe(expected);
      expect(rows * FEATURES * 4).toBeGreaterThanOrEqual(2 * GIB);
      // The pipeline held at most the budget in blocks, and the process stayed far below the data size.
      expect(stream.stats.peakInFlightBytes).toBeLessThanOrEqual(budget);
      expect(peak - before).toBeLessThan(GIB / 2);
    } finally {
      clearInterval(sampler);
    }
  }, 90_000);
});
