import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { range } from '../dataset/index.ts';
import { ProgressDisplay, progressEnabled } from './progress.ts';
import { StreamingExecutor } from './streaming.ts';
import type { OperatorStats } from './types.ts';

describe('progress per operator', () => {
  it('counts rows and blocks per operator, in plan order, with the source total', async () => {
    const stream = range(1000, { blockRows: 100 })
      .withExecutor(new StreamingExecutor({ progress: false }))
      .map((r) => ({ id: r.id, even: (r.id as number) % 2 === 0 }))
      .filter((r) => r.even === true)
      .mapBatches((b) => b, { batchSize: 64 })
      .iterBlocks();
    for await (const _ of stream) {
      // drain
    }
    const ops = stream.stats.operators.map((o) => [o.name, o.rows, o.totalRows]);
    expect(ops).toEqual([
      ['range', 1000, 1000],
      ['map', 1000, undefined],
      ['filter', 500, undefined],
      ['mapBatches(fn)', 500, undefined],
    ]);
    expect(stream.stats.operators[0].blocks).toBe(10);
  });

  it('draws one line per operator on a terminal, and nothing when not on one', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => {
      text += String(chunk);
    });
    Object.assign(out, { isTTY: true, columns: 120 });
    const display = new ProgressDisplay(out);
    const op: OperatorStats = { name: 'readParquet', rows: 0, blocks: 0, totalRows: 2000, startedAt: 0 };
    for (let i = 0; i < 4; i++) {
      op.rows += 500;
      op.blocks++;
      display.update(op);
    }
    display.stop();
    expect(text).toContain('readParquet');
    expect(text).toContain('2000 rows, 4 blocks');
    expect(progressEnabled('auto', { isTTY: false })).toBe(false);
    expect(progressEnabled(false, { isTTY: true })).toBe(false);
    expect(progressEnabled(true, { isTTY: false })).toBe(true);
  });
});
