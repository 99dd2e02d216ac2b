import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExperimentNotFoundError, ExperimentStateError, TuneInterruptedError } from '../errors/index.ts';
import { getCheckpoint, getContext, report } from '../executor/index.ts';
import { ASHAScheduler } from '../schedulers/index.ts';
import { gridSearch, sampleFrom } from '../search/index.ts';
import { Tuner } from './tuner.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'manta-tune-restore-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function saveState(state: unknown): string {
  const dir = tempDir();
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  return dir;
}
function loadState<T>(): T | undefined {
  const dir = getCheckpoint();
  return dir ? (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as T) : undefined;
}

describe('tuner restore', () => {
  it('restore - after an interrupted fit every trial finishes exactly once and no finished trial re-runs', async () => {
    const storagePath = tempDir();
    const starts: { id: string; from: number }[] = [];
    const finishes: string[] = [];
    const abort = new AbortController();
    let reports = 0;
    async function train(config: Record<string, unknown>) {
      const id = getContext().trialId;
      const from = loadState<{ i: number }>()?.i ?? 0;
      starts.push({ id, from });
      for (let i = from + 1; i <= 5; i++) {
        await new Promise((r) => setTimeout(r, 1));
        await report({ score: (config.x as number) * i }, { checkpoint: saveState({ i }) });
        if (++reports === 14) abort.abort(new Error('simulated Ctrl-C'));
      }
      finishes.push(id);
    }
    const options = {
      paramSpace: { x: gridSearch([1, 2, 3, 4, 5, 6]) },
      tuneConfig: { metric: 'score', mode: 'max' as const, maxConcurrentTrials: 2 },
      runConfig: { name: 'interrupted', storagePath, verbose: 0 as const },
    };
    const first = new Tuner(train, options);
    await expect(first.fit({ signal: abort.signal })).rejects.toBeInstanceOf(TuneInterruptedError);
    const path = join(storagePath, 'interrupted');
    const saved = JSON.parse(readFileSync(join(path, 'experiment_state.json'), 'utf8'));
    const finishedBefore = new Set(finishes);
    expect(finishedBefore.size).toBeGreaterThan(0);
    expect(finishedBefore.size).toBeLessThan(6);
    const midRun = saved.trials.filter(
      (t: { status: string; iteration: number }) => t.status !== 'TERMINATED' && t.iteration > 0,
    );
    expect(midRun.length).toBeGreaterThan(0);
    const startsBefore = starts.length;

    const restored = await Tuner.restore(path, train, { runConfig: { verbose: 0 } });
    const grid = await restored.fit();
    expect(grid.length).toBe(6);
    expect(grid.numTerminated).toBe(6);
    expect([...finishes].sort()).toEqual([...new Set(finishes)].sort());
    expect(finishes).toHaveLength(6);
    const restarted = starts.slice(startsBefore);
    for (const id of finishedBefore) expect(restarted.some((s) => s.id === id)).toBe(false);
    // Trials cut off mid-run continue from their latest checkpoint, not from scratch.
    for (const t of midRun)
      expect(restarted.find((s) => s.id === t.trialId)?.from).toBe(t.checkpointIteration);
    for (const r of grid) expect(r.metricsHistory.map((h) => h.trainingIteration)).toEqual([1, 2, 3, 4, 5]);
    expect(grid.getBestResult().config.x).toBe(6);
  });

  it('restore - errored trials stay errored, or re-run with restartErrored', async () => {
    const storagePath = tempDir();
    let broken = true;
    const starts: number[] = [];
    async function train(config: Record<string, unknown>) {
      starts.push(config.x as number);
      await report({ score: config.x as number }, { checkpoint: saveState({}) });
      if (broken && config.x === 2) throw new Error('bad luck');
      await report({ score: (config.x as number) * 10 });
    }
    const grid = await new Tuner(train, {
      paramSpace: { x: gridSearch([1, 2, 3]) },
      tuneConfig: { metric: 'score', mode: 'max', maxConcurrentTrials: 1 },
      runConfig: { name: 'errors', storagePath, verbose: 0 },
    }).fit();
    expect(grid.numErrors).toBe(1);
    const path = join(storagePath, 'errors');
    broken = false;
    starts.length = 0;
    const kept = await (await Tuner.restore(path, train, { runConfig: { verbose: 0 } })).fit();
    expect(kept.numErrors).toBe(1);
    expect(starts).toEqual([]);
    const rerun = await (
      await Tuner.restore(path, train, { restartErrored: true, runConfig: { verbose: 0 } })
    ).fit();
    expect(rerun.numErrors).toBe(0);
    expect(starts).toEqual([2]);
    const fixed = [...rerun].find((r) => r.config.x === 2);
    expect(fixed?.metricsHistory.map((h) => h.score)).toEqual([2, 20]);
  });

  it('restore - resumeErrored continues an errored trial from its latest checkpoint', async () => {
    const storagePath = tempDir();
    let broken = true;
    const froms: number[] = [];
    async function train() {
      const from = loadState<{ i: number }>()?.i ?? 0;
      froms.push(from);
      for (let i = from + 1; i <= 4; i++) {
        if (broken && i === 3) throw new Error('disk full');
        await report({ i }, { checkpoint: saveState({ i }) });
      }
    }
    const first = await new Tuner(train, {
      runConfig: { name: 'resume-err', storagePath, verbose: 0 },
    }).fit();
    expect(first.numErrors).toBe(1);
    broken = false;
    const tuner = await Tuner.restore(join(storagePath, 'resume-err'), train, {
      resumeErrored: true,
      runConfig: { verbose: 0 },
    });
    const grid = await tuner.fit();
    expect(grid.numErrors).toBe(0);
    expect(froms).toEqual([0, 2]);
    expect(grid.get(0).metricsHistory.map((h) => [h.trainingIteration, h.i])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
  });

  it('restore - a trial that got further than the saved state continues from the checkpoint result.json names', async () => {
    const storagePath = tempDir();
    const froms: number[] = [];
    async function train() {
      const from = loadState<{ i: number }>()?.i ?? 0;
      froms.push(from);
      for (let i = from + 1; i <= 4; i++) await report({ i }, { checkpoint: saveState({ i }) });
    }
    await new Tuner(train, { runConfig: { name: 'behind', storagePath, verbose: 0 } }).fit();
    const path = join(storagePath, 'behind');
    const lines = readFileSync(
      join(path, readdirSync(path).find((n) => n.startsWith('train_'))!, 'result.json'),
      'utf8',
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.checkpointDirName)).toEqual([
      'checkpoint_000000',
      'checkpoint_000001',
      'checkpoint_000002',
      'checkpoint_000003',
    ]);
    // As if the driver died after the 3rd result was durable but while the state said iteration 1.
    const state = JSON.parse(readFileSync(join(path, 'experiment_state.json'), 'utf8'));
    const trial = state.trials[0];
    Object.assign(trial, { status: 'RUNNING', iteration: 1, checkpointIteration: 1, nextCheckpointIndex: 1 });
    trial.checkpoint = `${trial.dirName}/checkpoint_000000`;
    trial.checkpoints = [trial.checkpoint];
    writeFileSync(join(path, 'experiment_state.json'), JSON.stringify(state));
    writeFileSync(
      join(path, trial.dirName, 'result.json'),
      `${lines
        .slice(0, 3)
        .map((l) => JSON.stringify(l))
        .join('\n')}\n`,
    );
    froms.length = 0;
    const grid = await (await Tuner.restore(path, train, { runConfig: { verbose: 0 } })).fit();
    expect(froms).toEqual([3]);
    expect(grid.get(0).metricsHistory.map((h) => h.i)).toEqual([1, 2, 3, 4]);
    expect(grid.get(0).checkpoint).toBe(join(path, trial.dirName, 'checkpoint_000003'));
  });

  it('restore - resumes scheduler and searcher state; asks for what cannot be saved', async () => {
    const storagePath = tempDir();
    async function train(config: Record<string, unknown>) {
      for (let i = 1; i <= 3; i++) await report({ acc: config.x as number });
    }
    const asha = () => new ASHAScheduler({ maxT: 3, gracePeriod: 1, reductionFactor: 2 });
    await new Tuner(train, {
      paramSpace: { x: gridSearch([3, 1, 2]), y: sampleFrom(() => 1) },
      tuneConfig: { metric: 'acc', mode: 'max', scheduler: asha(), maxConcurrentTrials: 1 },
      runConfig: { name: 'sched', storagePath, verbose: 0 },
    }).fit();
    const path = join(storagePath, 'sched');
    await expect(Tuner.restore(join(storagePath, 'nope'), train)).rejects.toBeInstanceOf(
      ExperimentNotFoundError,
    );
    await expect(Tuner.restore(path, train)).rejects.toThrow(/sampleFrom/);
    await expect(Tuner.restore(path, train, { paramSpace: { x: gridSearch([1]) } })).rejects.toThrow(
      ExperimentStateError,
    );
    await expect(Tuner.restore(path, train, { paramSpace: { x: gridSearch([1]) } })).rejects.toThrow(
      /scheduler 'asha'/,
    );
    const scheduler = asha();
    const tuner = await Tuner.restore(path, train, {
      paramSpace: { x: gridSearch([3, 1, 2]) },
      tuneConfig: { scheduler },
      runConfig: { verbose: 0 },
    });
    const grid = await tuner.fit();
    expect(grid.numTerminated).toBe(3);
    // The rung record of the first run came back: 3 trials recorded at milestone 1.
    const rungs = (
      scheduler.save() as { brackets: { milestone: number; recorded: Record<string, number> }[][] }
    ).brackets[0];
    expect(Object.keys(rungs.find((r) => r.milestone === 1)?.recorded ?? {})).toHaveLength(3);
    expect(await Tuner.canRestore(path)).toBe(true);
  });
});
