import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { init, shutdown } from '@manta/core';
import { currentRuntime, encode } from '@manta/core/internal';
import {
  ActorTrialExecutor,
  choice,
  gridSearch,
  LocalTrialExecutor,
  type TrialFailedError,
  TrialStatus,
  Tuner,
  withResources,
} from '@manta/tune';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counter, dying, quadratic, Stepper, silent, thrower } from '../fixtures/tune-trainables.ts';

const scratch = mkdtempSync(join(tmpdir(), 'manta-tune-actor-'));

beforeAll(async () => {
  await init({ numCpus: 2, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

const rows = (grid: Awaited<ReturnType<Tuner['fit']>>) =>
  Array.from({ length: grid.length }, (_, i) => grid.get(i));

describe('tune - actor executor', () => {
  it('actor executor - trials run in actor processes by default and queue instead of oversubscribing the cluster', async () => {
    const log = join(scratch, 'overlap.log');
    const tuner = new Tuner(counter, {
      paramSpace: { lr: choice([0.1, 0.2]), iters: 3, sleepMs: 30, logFile: log },
      tuneConfig: { metric: 'score', mode: 'max', numSamples: 5, maxConcurrentTrials: 5, seed: 1 },
      runConfig: { name: 'queue', storagePath: scratch, verbose: 0 },
    });
    const grid = await tuner.fit();
    expect(rows(grid).map((r) => [r.status, r.metrics?.n])).toEqual(
      Array.from({ length: 5 }, () => ['TERMINATED', 3]),
    );
    const lines = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(new Set(lines.map((l) => Number(l[2]))).has(process.pid)).toBe(false);
    // Trials hold 1 CPU each on a 2-CPU cluster: never more than 2 run at once.
    const spans = new Map<string, [number, number]>();
    for (const [id, , , , at] of lines) {
      const s = spans.get(id) ?? [Number(at), Number(at)];
      spans.set(id, [Math.min(s[0], Number(at)), Math.max(s[1], Number(at))]);
    }
    for (const [, [start]] of spans) {
      const overlapping = [...spans.values()].filter(([a, b]) => a <= start && start <= b).length;
      expect(overlapping).toBeLessThanOrEqual(2);
    }
  });

  it('actor executor - a trial needing more than a free slot waits: 2-CPU trials run one at a time', async () => {
    const log = join(scratch, 'wide.log');
    const grid = await new Tuner(withResources(counter, { CPU: 2 }), {
      paramSpace: { lr: 0.5, iters: 2, sleepMs: 20, logFile: log },
      tuneConfig: { numSamples: 3, maxConcurrentTrials: 3 },
      runConfig: { name: 'wide', storagePath: scratch, verbose: 0 },
    }).fit();
    expect(grid.numTerminated).toBe(3);
    const order = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' ')[0]);
    // Each trial's lines are contiguous: no two trials interleave.
    const blocks = order.filter((id, i) => i === 0 || order[i - 1] !== id);
    expect(blocks).toHaveLength(3);
  });

  it('actor executor - a trial whose process dies is an errored trial, retried from its checkpoint per maxFailures', async () => {
    const marker = join(scratch, 'died-once');
    const grid = await new Tuner(dying, {
      paramSpace: { marker, dieAt: 3 },
      runConfig: { name: 'dies', storagePath: scratch, verbose: 0, failureConfig: { maxFailures: 1 } },
    }).fit();
    const [r] = rows(grid);
    expect(existsSync(marker)).toBe(true);
    expect(r.status).toBe(TrialStatus.Terminated);
    expect(r.metricsHistory.map((m) => m.n)).toEqual([1, 2, 3, 4]);
    expect(r.metricsHistory[2].pid).not.toBe(Number(readFileSync(marker, 'utf8')));

    const marker2 = join(scratch, 'died-for-good');
    const failed = await new Tuner(dying, {
      paramSpace: { marker: marker2, dieAt: 2 },
      runConfig: { name: 'dies2', storagePath: scratch, verbose: 0 },
    }).fit();
    expect(rows(failed)[0].status).toBe(TrialStatus.Error);
    expect(failed.errors[0].message).toMatch(/died|exit|crash|killed/i);
  });

  it('actor executor - stop() kills a trial that never reports; class trainables run too', async () => {
    const executor = new ActorTrialExecutor(silent, { stopGraceMs: 200 });
    const started = Date.now();
    const grid = await new Tuner(silent, {
      tuneConfig: { timeBudgetS: 1 },
      runConfig: { name: 'silent', storagePath: scratch, verbose: 0 },
      executor,
    }).fit();
    await executor.shutdown();
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(rows(grid)[0].status).toBe(TrialStatus.Terminated);

    const steps = await new Tuner(Stepper, {
      tuneConfig: { numSamples: 2 },
      runConfig: { name: 'stepper', storagePath: scratch, verbose: 0 },
    }).fit();
    expect(rows(steps).map((r) => r.metricsHistory.map((m) => m.n))).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    expect(rows(steps)[0].metrics?.pid).not.toBe(process.pid);
  });

  it('actor executor - a trial that throws is errored with its remote stack after its streamed results; the sweep goes on', async () => {
    const grid = await new Tuner(thrower, {
      paramSpace: { failAt: gridSearch([2, 0]), iters: 3 },
      runConfig: { name: 'throws', storagePath: scratch, verbose: 0 },
    }).fit();
    const [failed, fine] = rows(grid);
    expect(failed.status).toBe(TrialStatus.Error);
    // Results stream (FIFO, no stop criteria): the two before the throw still arrive, in order.
    expect(failed.metricsHistory.map((h) => h.i)).toEqual([1, 2]);
    expect(failed.error?.message).toContain('kaboom at 2');
    expect((failed.error as TrialFailedError).remoteStack).toContain('tune-trainables.ts');
    expect(readFileSync(join(failed.path, 'error.txt'), 'utf8')).toContain('kaboom at 2');
    expect([fine.status, fine.metricsHistory.length]).toEqual([TrialStatus.Terminated, 3]);
    expect(grid.numErrors).toBe(1);
  });

  it('actor executor - garbage on the report subject is dropped; plain functions keep the local executor', async () => {
    const executor = new ActorTrialExecutor(quadratic);
    const subject = (executor as unknown as { subject: string }).subject;
    const grid = new Tuner(quadratic, {
      paramSpace: { x: 3, iters: 2, sleepMs: 50 },
      runConfig: { name: 'garbage', storagePath: scratch, verbose: 0 },
      executor,
    }).fit();
    const nc = currentRuntime()!.nc;
    await new Promise((r) => setTimeout(r, 100));
    await expect(
      nc.request(subject, encode({ kind: 'report', bogus: 1 }), { timeout: 300 }),
    ).rejects.toThrow();
    await expect(nc.request(subject, new Uint8Array([0xc1, 0xff]), { timeout: 300 })).rejects.toThrow();
    expect((await grid).numTerminated).toBe(1);
    await executor.shutdown();
    const local = new Tuner(
      (config: Record<string, unknown>) => ({ v: Number(config.a) + 1, pid: process.pid }),
      {
        paramSpace: { a: 1 },
        runConfig: { name: 'plain', storagePath: scratch, verbose: 0 },
      },
    );
    const [r] = rows(await local.fit());
    expect(r.metrics?.pid).toBe(process.pid);
    expect(LocalTrialExecutor).toBeDefined();
  });
});
