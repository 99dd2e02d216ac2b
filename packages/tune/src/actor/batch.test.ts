import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, shutdown } from '@manta/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StartTrialRequest, TrialExit, TrialSink } from '../executor/index.ts';
import { gridSearch } from '../search/index.ts';
import { Tuner } from '../tuner/index.ts';
import { quick } from './batch.fixtures.ts';
import { ActorTrialExecutor } from './executor.ts';

const scratch = mkdtempSync(join(tmpdir(), 'manta-tune-batch-'));

beforeAll(async () => {
  await init({ numCpus: 2, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

/** The real executor, counting the trials it was handed in batches. */
class CountingExecutor extends ActorTrialExecutor {
  batched = 0;
  override startBatch(requests: readonly StartTrialRequest[], sink: TrialSink): Promise<TrialExit>[] {
    this.batched += requests.length;
    return super.startBatch(requests, sink);
  }
}

describe('tune - short trials in batches', () => {
  it('batches - a sweep of short trials runs them in batches: each trial once, an error stays its own', async () => {
    const n = 60;
    const executor = new CountingExecutor(quick);
    try {
      const grid = await new Tuner(quick, {
        paramSpace: { i: gridSearch(Array.from({ length: n }, (_, i) => i)), failAt: 37, touch: true },
        tuneConfig: { maxConcurrentTrials: 2 },
        runConfig: { name: 'batches', storagePath: scratch, verbose: 0 },
        executor,
      }).fit();
      expect(executor.batched).toBeGreaterThan(0);
      expect(grid.length).toBe(n);
      expect(grid.numTerminated).toBe(n - 1);
      expect(grid.numErrors).toBe(1);
      for (const r of grid) {
        const i = Number(r.config.i);
        const results = join(r.path, 'result.json');
        const lines = existsSync(results) ? readFileSync(results, 'utf8').trim() : '';
        if (i === 37) {
          expect(r.status).toBe('ERROR');
          expect(r.error?.message).toContain('boom 37');
          expect(r.error?.remoteStack).toContain('batch.fixtures.ts');
          expect(lines).toBe('');
          continue;
        }
        expect(r.status).toBe('TERMINATED');
        expect(r.metricsHistory.map((m) => m.score)).toEqual([i]);
        expect(r.metrics?.pid).not.toBe(process.pid);
        expect(lines.split('\n')).toHaveLength(1);
        // The trial process made the trial's folder when the trainable asked for it.
        expect(readFileSync(join(r.path, 'touched.txt'), 'utf8')).toBe(String(i));
        expect(existsSync(join(r.path, 'params.json'))).toBe(true);
      }
    } finally {
      await executor.shutdown();
    }
  });
});
