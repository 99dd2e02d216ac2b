import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, init, shutdown, TaskError } from '@manta/core';
import { DataParallelTrainer, TrainingFailedError } from '@manta/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointingLoop, classifierLoop, equivalenceLoop } from '../fixtures/train-loops.ts';

const scratch = mkdtempSync(join(tmpdir(), 'manta-train-'));

beforeAll(async () => {
  await init({ numCpus: 2, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

const runConfig = (name: string) => ({ name, storagePath: scratch, verbose: false });

describe('train - DataParallelTrainer', () => {
  it('2 workers × batch B end with the same weights as 1 worker × batch 2B, and ranks stay identical', async () => {
    const fit = (numWorkers: number, batchPerWorker: number, name: string) =>
      new DataParallelTrainer(equivalenceLoop, {
        trainLoopConfig: { steps: 6, batchPerWorker, lr: 0.1 },
        scalingConfig: { numWorkers, backend: 'cpu' },
        runConfig: runConfig(name),
      }).fit();
    const two = await fit(2, 8, 'equiv-2');
    const one = await fit(1, 16, 'equiv-1');
    const a = two.metrics.weights as number[];
    const b = one.metrics.weights as number[];
    expect(a.length).toBe(b.length);
    expect(a.length).toBe(4 * 8 + 8 + 8 + 1);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    expect(two.metrics.spread).toBe(0);
    expect(two.metrics.worldSize).toBe(2);
    expect(two.backend).toBe('cpu');
  }, 120_000);

  it('learns a separable set to > 95% accuracy with 2 workers, writing result.json and progress.csv', async () => {
    const rows = Array.from({ length: 400 }, (_, i) => {
      const x = [Math.cos(i * 2.4) * (1 + (i % 7) / 7), Math.sin(i * 2.4) * (1 + (i % 5) / 5)];
      return { x, label: x[0] + 0.5 * x[1] > 0 ? 1 : 0 };
    });
    const result = await new DataParallelTrainer(classifierLoop, {
      trainLoopConfig: { epochs: 15, batch: 50 },
      scalingConfig: { numWorkers: 2, backend: 'cpu' },
      datasets: { train: rows },
      runConfig: runConfig('classifier'),
    }).fit();
    expect(result.metrics.accuracy as number).toBeGreaterThan(0.95);
    expect(result.metricsHistory).toHaveLength(15);
    const lines = readFileSync(join(result.path, 'result.json'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(15);
    expect(JSON.parse(lines[14]).training_iteration).toBe(15);
    expect(readFileSync(join(result.path, 'progress.csv'), 'utf8').split('\n')[0]).toContain('accuracy');
  }, 120_000);

  it('keeps the best numToKeep checkpoints by scoreAttribute', async () => {
    const result = await new DataParallelTrainer(checkpointingLoop, {
      trainLoopConfig: { epochs: 5 },
      scalingConfig: { numWorkers: 1, backend: 'cpu' },
      runConfig: {
        ...runConfig('keep-best'),
        checkpointConfig: { numToKeep: 2, scoreAttribute: 'score', scoreOrder: 'max' },
      },
    }).fit();
    expect(result.bestCheckpoints.map((c) => c.metrics.score)).toEqual([4, 3]);
    expect(result.checkpoint?.uri).toContain('checkpoint_000004');
    const dirs = (await import('node:fs'))
      .readdirSync(result.path)
      .filter((d) => d.startsWith('checkpoint_'));
    expect(dirs.sort()).toEqual(['checkpoint_000003', 'checkpoint_000004']);
  }, 60_000);

  it('an error in the loop fails fit() with the remote stack, without retrying', async () => {
    const error = await new DataParallelTrainer(checkpointingLoop, {
      trainLoopConfig: { epochs: 3, failAtEpoch: 1 },
      scalingConfig: { numWorkers: 2, backend: 'cpu' },
      runConfig: { ...runConfig('app-error'), failureConfig: { maxFailures: 3 } },
    })
      .fit()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingFailedError);
    const failed = error as TrainingFailedError;
    expect(failed.cause).toBeInstanceOf(TaskError);
    expect((failed.cause as TaskError).remoteName).toBe('RangeError');
    expect((failed.cause as TaskError).remoteStack).toContain('train-loops.ts');
    expect(failed.result.failures).toBe(0);
    expect(failed.result.metrics.epoch).toBe(0);
  }, 60_000);

  it('rejects bad configs before any worker starts', async () => {
    const make = (config: Record<string, unknown>) => () =>
      new DataParallelTrainer(checkpointingLoop, { scalingConfig: { numWorkers: 1 }, ...config } as never);
    expect(make({ scalingConfig: { numWorkers: 0 } })).toThrow(/numWorkers/);
    expect(make({ runConfig: { storagePath: 'ftp://host/runs' } })).toThrow(
      /unknown storage scheme.*s3:\/\//,
    );
    expect(make({ scalingConfig: { numWorkers: 1, backend: 'cuda' } })).toThrow(/backend/);
    expect(make({ runConfig: { checkpointConfig: { scoreOrder: 'best' } } })).toThrow(/scoreOrder/);
    expect(make({ datasets: { train: 42 } }).bind(null)).not.toThrow(); // checked when sharding
    expect(() => new DataParallelTrainer((() => 1) as never, { scalingConfig: { numWorkers: 1 } })).toThrow(
      /trainLoop\(import\.meta\.url/,
    );
    expect(
      () =>
        new DataParallelTrainer(checkpointingLoop, {
          scalingConfig: { numWorkers: 1, useGpu: true, backend: 'wasm' },
        }),
    ).toThrow(ConfigError);
    const missing = await new DataParallelTrainer(checkpointingLoop, {
      trainLoopConfig: { epochs: 2 },
      scalingConfig: { numWorkers: 1, backend: 'cpu' },
      runConfig: { ...runConfig('no-score'), checkpointConfig: { scoreAttribute: 'valAcc' } },
    })
      .fit()
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TrainingFailedError);
    expect((missing as Error).message).toMatch(/valAcc/);
  }, 60_000);
});

describe('train - fit() hooks', () => {
  it('onReport sees every report and can stop the run early', async () => {
    const seen: number[] = [];
    // The loop goes on while the driver acts on STOP (it then stops the workers): the run is
    // long enough that on a loaded machine it is still far from its end by then.
    const result = await new DataParallelTrainer(checkpointingLoop, {
      trainLoopConfig: { epochs: 100 },
      scalingConfig: { numWorkers: 2, backend: 'cpu' },
      runConfig: runConfig('stopped-early'),
    }).fit({
      onReport: ({ metrics, checkpoint }) => {
        seen.push(metrics.epoch as number);
        expect(checkpoint?.uri).toContain('checkpoint_');
        return (metrics.epoch as number) >= 2 ? 'STOP' : 'CONTINUE';
      },
    });
    expect(seen.slice(0, 3)).toEqual([0, 1, 2]);
    expect(result.metrics.epoch as number).toBeLessThan(99);
    expect(result.error).toBeNull();
  }, 60_000);
});
