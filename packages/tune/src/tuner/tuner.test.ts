import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@manta/core';
import { afterEach, describe, expect, it } from 'vitest';
import { getCheckpoint, getContext, report } from '../executor/index.ts';
import { ASHAScheduler } from '../schedulers/index.ts';
import { choice, gridSearch, loguniform, uniform } from '../search/index.ts';
import { CHECKPOINT_MARKER } from '../storage/index.ts';
import { Tuner } from './tuner.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'manta-tune-test-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Write `state` as a checkpoint folder and return it. */
function saveState(state: unknown): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  return dir;
}
function loadState<T>(): T | undefined {
  const dir = getCheckpoint();
  return dir ? (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as T) : undefined;
}

describe('tuner', () => {
  it('tuner - function trainable sweep: grid × samples, Ray folder layout, best result', async () => {
    const storagePath = tempDir();
    async function quadratic(config: Record<string, unknown>) {
      const x = config.x as number;
      const scale = config.scale as number;
      for (let i = 1; i <= 3; i++) {
        await report({ score: -scale * (x - 0.5) ** 2 + i }, { checkpoint: saveState({ i }) });
      }
    }
    const tuner = new Tuner(quadratic, {
      paramSpace: { x: uniform(0, 1), scale: gridSearch([1, 2]), nested: { opt: choice(['a', 'b']) } },
      tuneConfig: { metric: 'score', mode: 'max', numSamples: 3, maxConcurrentTrials: 2, seed: 11 },
      runConfig: { name: 'sweep', storagePath, verbose: 0, checkpointConfig: { numToKeep: 2 } },
    });
    const grid = await tuner.fit();
    expect(grid.length).toBe(6);
    expect(grid.numTerminated).toBe(6);
    expect(grid.numErrors).toBe(0);
    const best = grid.getBestResult();
    const expected = Math.max(...[...grid].map((r) => r.metrics?.score as number));
    expect(best.metrics?.score).toBe(expected);
    expect(best.metrics?.trainingIteration).toBe(3);
    expect(grid.getBestResult('score', 'min').metrics?.score).toBe(
      Math.min(...[...grid].map((r) => r.metrics?.score as number)),
    );

    const root = join(storagePath, 'sweep');
    const state = JSON.parse(readFileSync(join(root, 'experiment_state.json'), 'utf8'));
    expect(state.trials).toHaveLength(6);
    expect(state.trials.every((t: { status: string }) => t.status === 'TERMINATED')).toBe(true);
    const r0 = grid.get(0);
    expect(JSON.parse(readFileSync(join(r0.path, 'params.json'), 'utf8'))).toEqual(r0.config);
    const lines = readFileSync(join(r0.path, 'result.json'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.trainingIteration)).toEqual([1, 2, 3]);
    const csv = readFileSync(join(r0.path, 'progress.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(4);
    expect(csv[0].split(',')).toContain('trainingIteration');
    // numToKeep 2: checkpoints 1 and 2 kept, 0 removed; the latest is complete.
    const ckpts = readdirSync(r0.path)
      .filter((f) => f.startsWith('checkpoint_'))
      .sort();
    expect(ckpts).toEqual(['checkpoint_000001', 'checkpoint_000002']);
    expect(r0.checkpoint).toBe(join(r0.path, 'checkpoint_000002'));
    expect(existsSync(join(r0.checkpoint as string, CHECKPOINT_MARKER))).toBe(true);
    expect(grid.toCsv().split('\n')[0]).toContain('config.x');
    expect(grid.table()).toContain('TERMINATED');
    expect(JSON.parse(grid.toJson())).toHaveLength(6);
  });

  it('tuner - class trainable: setup/step/save/load, stop criteria, checkpoint frequency', async () => {
    const storagePath = tempDir();
    class Counter {
      n = 0;
      step_size = 0;
      setup(config: Record<string, unknown>) {
        this.step_size = config.step as number;
      }
      step() {
        this.n += this.step_size;
        return { n: this.n };
      }
      saveCheckpoint(dir: string) {
        writeFileSync(join(dir, 'n.txt'), String(this.n));
      }
      loadCheckpoint(dir: string) {
        this.n = Number(readFileSync(join(dir, 'n.txt'), 'utf8'));
      }
    }
    const grid = await new Tuner(Counter, {
      paramSpace: { step: gridSearch([1, 3]) },
      tuneConfig: { metric: 'n', mode: 'max' },
      runConfig: {
        name: 'cls',
        storagePath,
        verbose: 0,
        stop: { n: 9 },
        checkpointConfig: { checkpointFrequency: 2 },
      },
    }).fit();
    const byStep = new Map([...grid].map((r) => [r.config.step, r]));
    expect(byStep.get(1)?.metrics?.n).toBe(9);
    expect(byStep.get(1)?.metrics?.trainingIteration).toBe(9);
    expect(byStep.get(3)?.metrics?.n).toBe(9);
    expect(byStep.get(3)?.metrics?.trainingIteration).toBe(3);
    const ckpt = byStep.get(1)?.checkpoint as string;
    expect(readFileSync(join(ckpt, 'n.txt'), 'utf8')).toBe('8');
  });

  it('tuner - a trial that throws is recorded with its stack and the sweep continues', async () => {
    const storagePath = tempDir();
    async function flaky(config: Record<string, unknown>) {
      await report({ acc: config.id as number });
      if (config.id === 1) throw new RangeError('exploded on purpose');
      await report({ acc: (config.id as number) + 10 });
    }
    const grid = await new Tuner(flaky, {
      paramSpace: { id: gridSearch([0, 1, 2]) },
      tuneConfig: { metric: 'acc', mode: 'max', maxConcurrentTrials: 1 },
      runConfig: { name: 'err', storagePath, verbose: 0 },
    }).fit();
    expect(grid.numErrors).toBe(1);
    expect(grid.numTerminated).toBe(2);
    const failed = [...grid].find((r) => r.config.id === 1);
    expect(failed?.status).toBe('ERROR');
    expect(failed?.error?.code).toBe('TUNE_TRIAL_FAILED');
    expect(failed?.error?.message).toContain('RangeError: exploded on purpose');
    expect(failed?.error?.remoteStack).toMatch(/at flaky/);
    expect(grid.errors).toHaveLength(1);
    expect(readFileSync(join(failed?.path as string, 'error.txt'), 'utf8')).toContain('exploded on purpose');
    expect(grid.getBestResult().config.id).toBe(2);
  });

  it('tuner - failureConfig.maxFailures retries a trial from its latest checkpoint', async () => {
    const storagePath = tempDir();
    const starts: number[] = [];
    let crashed = false;
    async function crashOnce() {
      const state = loadState<{ i: number }>();
      starts.push(state?.i ?? 0);
      for (let i = (state?.i ?? 0) + 1; i <= 4; i++) {
        if (i === 3 && !crashed) {
          crashed = true;
          throw new Error('transient');
        }
        await report({ i }, { checkpoint: saveState({ i }) });
      }
    }
    const grid = await new Tuner(crashOnce, {
      runConfig: { name: 'retry', storagePath, verbose: 0, failureConfig: { maxFailures: 1 } },
    }).fit();
    expect(grid.numErrors).toBe(0);
    expect(starts).toEqual([0, 2]);
    expect(grid.get(0).metricsHistory.map((h) => h.i)).toEqual([1, 2, 3, 4]);
    expect(grid.get(0).metrics?.trainingIteration).toBe(4);
  });

  it('tuner - never runs more than maxConcurrentTrials at once', async () => {
    let live = 0;
    let peak = 0;
    async function slow() {
      live++;
      peak = Math.max(peak, live);
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 2));
        await report({ i });
      }
      live--;
    }
    const grid = await new Tuner(slow, {
      tuneConfig: { numSamples: 7, maxConcurrentTrials: 3 },
      runConfig: { name: 'conc', storagePath: tempDir(), verbose: 0 },
    }).fit();
    expect(grid.numTerminated).toBe(7);
    expect(peak).toBe(3);
  });

  it('tuner - ASHA stops poor trials early through the controller', async () => {
    async function curve(config: Record<string, unknown>) {
      for (let t = 1; t <= 9; t++) await report({ acc: (config.q as number) * (1 - 1 / (t + 1)) });
    }
    const grid = await new Tuner(curve, {
      paramSpace: { q: gridSearch([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) },
      tuneConfig: {
        metric: 'acc',
        mode: 'max',
        maxConcurrentTrials: 1,
        scheduler: new ASHAScheduler({ maxT: 9, gracePeriod: 1, reductionFactor: 3 }),
      },
      runConfig: { name: 'asha', storagePath: tempDir(), verbose: 0 },
    }).fit();
    const iters = [...grid].map((r) => r.metrics?.trainingIteration as number);
    // q increases with the trial index, so each new trial beats the rungs and runs to maxT.
    expect(iters.every((t) => t === 9)).toBe(true);
    const reversed = await new Tuner(curve, {
      paramSpace: { q: gridSearch([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1]) },
      tuneConfig: { metric: 'acc', mode: 'max', maxConcurrentTrials: 1, scheduler: 'asha' },
      runConfig: { name: 'asha2', storagePath: tempDir(), verbose: 0, stop: { trainingIteration: 9 } },
    }).fit();
    // Worse trials arrive later: all but the first stop at the first rung (gracePeriod 1).
    expect([...reversed].map((r) => r.metrics?.trainingIteration)).toEqual([9, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('tuner - context, trial names and time budget', async () => {
    const seen: string[] = [];
    async function forever() {
      seen.push(getContext().trialId);
      for (;;) {
        await new Promise((r) => setTimeout(r, 5));
        await report({ x: 1 });
      }
    }
    const started = Date.now();
    const grid = await new Tuner(forever, {
      tuneConfig: {
        numSamples: 2,
        maxConcurrentTrials: 2,
        timeBudgetS: 0.2,
        trialNameCreator: (t) => `run-${t.index}`,
      },
      runConfig: { name: 'budget', storagePath: tempDir(), verbose: 0 },
    }).fit();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(grid.numTerminated).toBe(2);
    expect(seen).toHaveLength(2);
    expect(grid.get(0).metrics?.trainingIteration).toBeGreaterThan(1);
    const state = JSON.parse(readFileSync(join(grid.experimentPath, 'experiment_state.json'), 'utf8'));
    expect(state.trials.map((t: { trialName: string }) => t.trialName)).toEqual(['run-0', 'run-1']);
  });

  it('tuner - bad param spaces and options get clear errors naming the key', () => {
    const fn = async () => {};
    expect(() => new Tuner(fn, { paramSpace: { optimizer: { lr: loguniform(0, 0.1) } } })).toThrow(
      /paramSpace\.optimizer\.lr: loguniform lower bound must be > 0/,
    );
    expect(() => new Tuner(fn, { paramSpace: { act: choice([]) } })).toThrow(ConfigError);
    expect(() => new Tuner(fn, { tuneConfig: { num_samples: 3 } as never })).toThrow(/num_samples/);
    expect(() => new Tuner(fn, { tuneConfig: { mode: 'maximize' } as never })).toThrow(/tuneConfig\.mode/);
    expect(() => new Tuner(fn, { tuneConfig: { metric: 'acc' } })).toThrow(
      /metric and tuneConfig\.mode go together/,
    );
    expect(() => new Tuner(fn, { tuneConfig: { scheduler: 'bohb' } })).toThrow(
      /known schedulers: fifo, asha/,
    );
    expect(() => new Tuner(fn, { tuneConfig: { searchAlg: 'optuna' } })).toThrow(
      /known searchers: variant, random, tpe/,
    );
  });
});
