import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/processes.ts';
import { type S3ServerHandle, startS3Server } from '../harness/s3.ts';

const driver = fileURLToPath(new URL('../fixtures/tune-driver.ts', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'manta-tune-restore-'));
let s3: S3ServerHandle;

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['tune'] });
});
afterAll(async () => {
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

interface LogLine {
  trialId: string;
  phase: string;
  iteration: number;
}

function readLog(path: string): LogLine[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [trialId, phase, , iteration] = l.split(' ');
      return { trialId, phase, iteration: Number(iteration) };
    });
}

function startDriver(env: Record<string, string>): { child: ChildProcess; output: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', driver], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (d) => (out += d));
  child.stderr?.on('data', (d) => (err += d));
  const output = new Promise<string>((resolve, reject) =>
    child.on('exit', (code, signal) =>
      code === 0 ? resolve(out) : reject(new Error(`driver exited ${code ?? signal}: ${err.slice(-2000)}`)),
    ),
  );
  output.catch(() => {});
  return { child, output };
}

async function killMidSweepAndRestore(storagePath: string, env: Record<string, string> = {}) {
  const log = join(scratch, `${Math.random().toString(36).slice(2)}.log`);
  const base = { ...env, TUNE_STORAGE: storagePath, TUNE_LOG: log };
  const first = startDriver({ ...base, TUNE_MODE: 'fit', TUNE_PHASE: '1' });
  // Kill once two trials have finished and another one is part-way.
  await waitFor(
    () => {
      const counts = new Map<string, number>();
      for (const l of readLog(log)) counts.set(l.trialId, Math.max(counts.get(l.trialId) ?? 0, l.iteration));
      const done = [...counts.values()].filter((n) => n === 10).length;
      const partway = [...counts.values()].filter((n) => n >= 3 && n < 8).length;
      return done >= 2 && partway >= 1;
    },
    90_000,
    'two finished trials and one part-way',
  );
  first.child.kill('SIGKILL');
  await first.output.catch(() => {});
  const beforeRestore = readLog(log);
  const second = startDriver({ ...base, TUNE_MODE: 'restore', TUNE_PHASE: '2' });
  const { trials } = JSON.parse((await second.output).trim().split('\n').pop() as string) as {
    trials: { trialId: string; status: string; n: number; iterations: number }[];
  };
  return { trials, beforeRestore, all: readLog(log) };
}

function checkRestore({ trials, beforeRestore, all }: Awaited<ReturnType<typeof killMidSweepAndRestore>>) {
  // Every trial exactly once, each finished with its full history of 10 results.
  expect(trials).toHaveLength(6);
  expect(new Set(trials.map((t) => t.trialId)).size).toBe(6);
  for (const t of trials) expect([t.status, t.n, t.iterations]).toEqual(['TERMINATED', 10, 10]);
  const firstRun = new Map<string, number>();
  for (const l of beforeRestore) firstRun.set(l.trialId, Math.max(firstRun.get(l.trialId) ?? 0, l.iteration));
  const secondRun = all.filter((l) => l.phase === '2');
  for (const [trialId, reached] of firstRun) {
    const again = secondRun.filter((l) => l.trialId === trialId).map((l) => l.iteration);
    if (reached === 10) {
      // A completed trial never re-runs.
      expect(again).toEqual([]);
    } else {
      // A running one continues from its latest checkpoint: an iteration whose report returned
      // (logged) is durable with its checkpoint and never repeats (the one after it may already
      // be durable too, when the kill came before the trial heard back).
      if (again.length === 0) {
        expect(reached).toBe(9); // its last result was durable already: nothing left to run
        continue;
      }
      expect(again[0]).toBeGreaterThan(reached);
      expect(again[0]).toBeLessThanOrEqual(reached + 2);
      expect(again.at(-1)).toBe(10);
    }
  }
  // Trials that had not logged a result ran in full in the second process (or from their first
  // result, when it became durable just before the kill).
  const unseen = trials.filter((t) => !firstRun.has(t.trialId));
  for (const t of unseen) {
    const run = secondRun.filter((l) => l.trialId === t.trialId).map((l) => l.iteration);
    expect(run[0]).toBeLessThanOrEqual(2);
    expect(run).toEqual(Array.from({ length: 11 - run[0] }, (_, i) => run[0] + i));
  }
}

describe('tune - restore after SIGKILL', () => {
  it('restore - a SIGKILLed sweep resumes: finished trials are kept, running ones continue from their checkpoint', async () => {
    checkRestore(await killMidSweepAndRestore(join(scratch, 'local')));
  }, 120_000);

  it('restore - the same with the experiment on an S3-protocol server', async () => {
    s3.clearRequests();
    checkRestore(await killMidSweepAndRestore('s3://tune/experiments', s3.env as Record<string, string>));
    const puts = s3.requests.filter((r) => r.method === 'PUT').map((r) => r.path);
    expect(puts).toContain('/tune/experiments/sweep/experiment_state.json');
    expect(puts.some((p) => /\/checkpoint_\d+\/\.manta_checkpoint_complete$/.test(p))).toBe(true);
  }, 120_000);
});
