import { describe, expect, it } from 'vitest';
import { trialTrainerConfig } from './executor.ts';

describe('trainer trials', () => {
  it('trainer trial - sampled values merge into the trainer config; the run goes to the trial folder', () => {
    const base = {
      trainLoopConfig: { lr: 0.1, epochs: 3 },
      scalingConfig: { numWorkers: 2 },
      runConfig: { name: 'orig', storagePath: '/elsewhere', checkpointConfig: { numToKeep: 1 } },
    };
    const out = trialTrainerConfig(
      base as never,
      { trainLoopConfig: { lr: 0.01 }, scalingConfig: { numWorkers: 1 } },
      { trialName: 'trial_1', trialDir: '/exp/trial_1', checkpoint: '/exp/trial_1/checkpoint_000002' },
    );
    expect(out).toEqual({
      trainLoopConfig: { lr: 0.01, epochs: 3 },
      scalingConfig: { numWorkers: 1 },
      runConfig: {
        name: 'trial_1',
        storagePath: '/exp/trial_1',
        verbose: false,
        checkpointConfig: { numToKeep: 1 },
      },
      resumeFromCheckpoint: '/exp/trial_1/checkpoint_000002',
    });
    const fresh = trialTrainerConfig(
      base as never,
      {},
      { trialName: 't', trialDir: '/d', checkpoint: undefined },
    );
    expect(fresh.resumeFromCheckpoint).toBeUndefined();
    expect(fresh.trainLoopConfig).toBeUndefined();
  });
});
