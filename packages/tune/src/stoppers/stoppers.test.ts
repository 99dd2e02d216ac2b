import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@manta/core';
import { afterEach, describe, expect, it } from 'vitest';
import { report } from '../executor/index.ts';
import { gridSearch } from '../search/index.ts';
import { Tuner } from '../tuner/index.ts';
import {
  CombinedStopper,
  MaximumIterationStopper,
  type Stopper,
  TimeoutStopper,
  TrialPlateauStopper,
} from './index.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function sweep(stop: Stopper, values: number[], maxConcurrentTrials = 1) {
  const storagePath = mkdtempSync(join(tmpdir(), 'manta-tune-stop-'));
  dirs.push(storagePath);
  // Climbs to `cap` and stays there, 10 results in all.
  async function train(config: Record<string, unknown>) {
    for (let i = 1; i <= 10; i++) await report({ acc: Math.min(i, Number(config.cap)) });
  }
  return new Tuner(train, {
    paramSpace: { cap: gridSearch(values) },
    tuneConfig: { maxConcurrentTrials },
    runConfig: { name: 'stop', storagePath, stop, verbose: 0 },
  }).fit();
}
const lengths = (grid: Awaited<ReturnType<typeof sweep>>) => [...grid].map((r) => r.metricsHistory.length);

describe('stoppers', () => {
  it('stoppers - MaximumIterationStopper and TrialPlateauStopper end trials; CombinedStopper takes either', async () => {
    expect(lengths(await sweep(new MaximumIterationStopper({ maxIter: 3 }), [5, 20]))).toEqual([3, 3]);
    // cap 3: 1 2 3 3 3 3 -> the last 4 are flat at result 6; cap 20 never plateaus.
    const plateau = () => new TrialPlateauStopper({ metric: 'acc', std: 0, numResults: 4, gracePeriod: 4 });
    expect(lengths(await sweep(plateau(), [3, 20]))).toEqual([6, 10]);
    const both = new CombinedStopper(plateau(), new MaximumIterationStopper({ maxIter: 8 }));
    expect(lengths(await sweep(both, [3, 20]))).toEqual([6, 8]);
  });

  it('stoppers - stopAll ends the experiment: running trials stop, no new ones start', async () => {
    let results = 0;
    const stopper: Stopper = {
      shouldStop: () => {
        results += 1;
        return false;
      },
      stopAll: () => results >= 5,
    };
    const grid = await sweep(stopper, [1, 2, 3]);
    expect(grid.get(0).metricsHistory).toHaveLength(5);
    expect(grid.get(0).status).toBe('TERMINATED');
    expect([...grid].slice(1).map((r) => r.metricsHistory.length)).toEqual([0, 0]);
    expect(new TimeoutStopper({ timeoutS: 60 }).stopAll()).toBe(false);
  });

  it('stoppers - bad options name the field', () => {
    expect(() => new MaximumIterationStopper({ maxIter: 0 })).toThrow(ConfigError);
    expect(() => new MaximumIterationStopper({ maxIter: 0 })).toThrow(/maxIter/);
    expect(() => new TrialPlateauStopper({ metric: 'acc', metricThreshold: 1 })).toThrow(/mode/);
    expect(() => new TimeoutStopper({ timeoutS: -1 })).toThrow(/timeoutS/);
  });
});
