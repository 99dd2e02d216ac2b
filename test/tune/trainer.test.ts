import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, shutdown } from '@manta/core';
import { DataParallelTrainer } from '@manta/train';
import { choice, Tuner } from '@manta/tune';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tunedLoop } from '../fixtures/tune-train-loops.ts';

const scratch = mkdtempSync(join(tmpdir(), 'manta-tune-trainer-'));

beforeAll(async () => {
  await init({ numCpus: 2, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

describe('tune - a DataParallelTrainer as trainable', () => {
  it('trainer trial - each trial fits the trainer with the sampled config; every epoch reaches the tuner', async () => {
    const trainer = new DataParallelTrainer(tunedLoop, {
      trainLoopConfig: { epochs: 3, tag: 'kept', lr: 1 },
      scalingConfig: { numWorkers: 1, backend: 'cpu' },
    });
    const grid = await new Tuner(trainer, {
      paramSpace: { trainLoopConfig: { lr: choice([0.1, 0.2]) } },
      tuneConfig: { metric: 'loss', mode: 'min', numSamples: 2, maxConcurrentTrials: 2, seed: 5 },
      runConfig: { name: 'trainer', storagePath: scratch, verbose: 0 },
    }).fit();
    expect(grid.length).toBe(2);
    for (let i = 0; i < grid.length; i++) {
      const r = grid.get(i);
      expect(r.status).toBe('TERMINATED');
      expect(r.metricsHistory.map((m) => m.epoch)).toEqual([0, 1, 2]);
      expect(r.metricsHistory[0].tag).toBe('kept');
      const lr = (r.config.trainLoopConfig as { lr: number }).lr;
      expect(r.metrics?.loss).toBeCloseTo(lr);
      expect(r.checkpoint).toBeDefined();
    }
  }, 120_000);

  it('trainer trial - a stop condition ends the fit() of the trial early, with its workers', async () => {
    const trainer = new DataParallelTrainer(tunedLoop, {
      trainLoopConfig: { epochs: 20, tag: 'stopped', lr: 1 },
      scalingConfig: { numWorkers: 1, backend: 'cpu' },
    });
    const started = Date.now();
    const grid = await new Tuner(trainer, {
      paramSpace: { trainLoopConfig: { lr: choice([0.3]) } },
      tuneConfig: { metric: 'loss', mode: 'min', numSamples: 1, seed: 1 },
      runConfig: { name: 'trainer-stop', storagePath: scratch, verbose: 0, stop: { epoch: 1 } },
    }).fit();
    const r = grid.get(0);
    expect(r.metricsHistory.map((m) => m.epoch)).toEqual([0, 1]);
    expect(r.status).toBe('TERMINATED');
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 120_000);
});
