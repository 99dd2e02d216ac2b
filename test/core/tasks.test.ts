import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  FunctionNotFoundError,
  get,
  InfeasibleResourcesError,
  init,
  put,
  remote,
  shutdown,
  TaskError,
  WorkerCrashedError,
  wait,
} from '@manta/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  add,
  crashOnce,
  echo,
  fail,
  failUntil,
  getNested,
  pid,
  sleepLong,
  sleepStamp,
  square,
  writeTempFile,
} from '../fixtures/core-fixtures.ts';
import { readPid, waitFor } from '../harness/processes.ts';

const scratch = mkdtempSync(join(tmpdir(), 'manta-tasks-'));

beforeAll(async () => {
  await init({ numCpus: 2, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
  rmSync(scratch, { recursive: true, force: true });
});

describe('tasks - remote functions', () => {
  it('runs tasks in parallel across worker processes and returns their results', async () => {
    expect(await get([1, 2, 3, 4].map((i) => square.remote(i)))).toEqual([1, 4, 9, 16]);
    const stamps = await get([0, 1].map(() => sleepStamp.remote(300)));
    expect(new Set(stamps.map((s) => s.pid)).size).toBe(2);
    expect(stamps[0].pid).not.toBe(process.pid);
  });

  it('never runs more tasks at once than the node has CPUs (2 CPUs, four 1-CPU tasks)', async () => {
    const stamps = await get([0, 1, 2, 3].map(() => sleepStamp.remote(500)));
    // At every task's start, count the tasks running: never more than 2.
    for (const s of stamps) {
      const running = stamps.filter((o) => o.start <= s.start && o.end > s.start).length;
      expect(running).toBeLessThanOrEqual(2);
    }
    // Two waves: the last two start only after one of the first two ended.
    const sorted = [...stamps].sort((a, b) => a.start - b.start);
    const firstEnd = Math.min(sorted[0].end, sorted[1].end);
    expect(sorted[2].start).toBeGreaterThanOrEqual(firstEnd - 5);
    expect(sorted[3].start).toBeGreaterThanOrEqual(firstEnd - 5);
  });

  it('a task needing 2 CPUs waits for both; one needing more than any node has fails fast', async () => {
    const big = sleepStamp.options({ numCpus: 2 });
    const [a, b] = await get([big.remote(200), big.remote(200)]);
    expect(a.end <= b.start + 5 || b.end <= a.start + 5).toBe(true);
    const started = Date.now();
    await expect(get(square.options({ numGpus: 4 }).remote(2))).rejects.toBeInstanceOf(
      InfeasibleResourcesError,
    );
    await expect(get(square.options({ resources: { TPU: 1 } }).remote(2))).rejects.toThrow(/TPU: 1/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('re-throws an application error at get() as a TaskError with the remote class, message and stack', async () => {
    const error = await get(fail.remote('bad value 42')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskError);
    const taskError = error as TaskError;
    expect(taskError.remoteName).toBe('RangeError');
    expect(taskError.message).toContain('bad value 42');
    expect(taskError.message).toContain('fail');
    expect(taskError.remoteStack).toContain('core-fixtures.ts');
  });

  it('does not retry application errors unless retryExceptions is set', async () => {
    const once = join(scratch, 'flaky-once');
    await expect(get(failUntil.remote(once, 3))).rejects.toThrow(/attempt 1 failed/);
    expect(readFileSync(once, 'utf8')).toBe('1');
    const retried = join(scratch, 'flaky-retried');
    expect(await get(failUntil.options({ retryExceptions: true, maxRetries: 3 }).remote(retried, 3))).toBe(3);
  });

  it('retries a task whose worker is SIGKILLed mid-task, and returns the right result', async () => {
    const marker = join(scratch, 'crash-once');
    expect(await get(crashOnce.remote(marker, 21))).toBe(42);
    expect(readPid(marker)).toBeGreaterThan(0);
  });

  it('retries after an external SIGKILL of the worker process; fails with WorkerCrashedError without retries', async () => {
    const marker = join(scratch, 'long-1');
    const ref = sleepLong.options({ maxRetries: 1 }).remote(1500, marker);
    const victim = await waitFor(() => readPid(marker), 20_000, 'the task to start');
    process.kill(victim, 'SIGKILL');
    const survivor = await get(ref);
    expect(survivor).not.toBe(victim);

    const marker2 = join(scratch, 'long-2');
    const ref2 = sleepLong.options({ maxRetries: 0 }).remote(5000, marker2);
    process.kill(await waitFor(() => readPid(marker2), 20_000, 'the task to start'), 'SIGKILL');
    await expect(get(ref2)).rejects.toBeInstanceOf(WorkerCrashedError);
  });

  it('gives each worker its own temp folder in the session, removed when the worker is SIGKILLed', async () => {
    const doomed = await get(writeTempFile.remote('half-written.ckpt'));
    expect(doomed.dir).not.toBe(tmpdir());
    expect(doomed.dir).toMatch(/\/session_[^/]+\/tmp\/[A-Za-z0-9_-]+$/);
    expect(existsSync(join(doomed.dir, 'half-written.ckpt'))).toBe(true);
    process.kill(doomed.pid, 'SIGKILL');
    await waitFor(() => !existsSync(doomed.dir), 10_000, "the dead worker's temp folder to go");
    // A live worker's files stay after its task: another worker (the first is gone) writes one.
    const kept = await get(writeTempFile.remote('kept.txt'));
    expect(kept.dir).not.toBe(doomed.dir);
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(join(kept.dir, 'kept.txt'), 'utf8')).toBe('scratch');
  });

  it('completes 10,000 small tasks', async () => {
    const refs = Array.from({ length: 10_000 }, (_, i) => add.remote(i, 1));
    const values = await get(refs);
    expect(values.length).toBe(10_000);
    expect(values.every((v, i) => v === i + 1)).toBe(true);
  }, 120_000);

  it('wait() returns numReturns ready refs, and the rest after a timeout', async () => {
    const fast = sleepStamp.remote(10);
    const slow = sleepStamp.remote(3000);
    const { ready, notReady } = await wait([slow, fast], { numReturns: 1, timeout: 2500 });
    expect(ready).toEqual([fast]);
    expect(notReady).toEqual([slow]);
    const none = await wait([slow], { timeout: 50 });
    expect(none.ready.length + none.notReady.length).toBe(1);
    await get(slow);
  });

  it('resolves ObjectRef arguments before the call and passes nested refs through as refs', async () => {
    const ref = put(41);
    expect(await get(add.remote(ref as unknown as number, 1))).toBe(42);
    expect(await get(getNested.remote({ ref }))).toBe(42);
    const chained = square.remote(square.remote(3) as unknown as number);
    expect(await get(chained)).toBe(81);
    expect(await get(echo.remote({ a: [1, 'x', null], b: new Int32Array([7, 8]) }))).toEqual({
      a: [1, 'x', null],
      b: new Int32Array([7, 8]),
    });
  });

  it('reports a function that cannot be located with the module and its definitions', async () => {
    const orphan = { ...square, descriptor: { ...square.descriptor, key: '#999', name: 'missing' } };
    const { currentRuntime } = await import('@manta/core/internal');
    const ref = currentRuntime()!.submitTask({
      fn: orphan.descriptor,
      args: [],
      resources: { CPU: 1 },
      maxRetries: 0,
      retryExceptions: false,
    });
    const error = await get(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionNotFoundError);
    expect((error as Error).message).toContain('core-fixtures.ts');
    expect((error as Error).message).toContain('missing');
  });

  it('rejects bad inputs to every public function with a clear error', async () => {
    expect(() => remote('not-a-url', () => 1)).toThrow(ConfigError);
    expect(() => remote(import.meta.url, 42 as never)).toThrow(/must be a function/);
    expect(() => square.options({ numCpus: -1 })).toThrow(/numCpus/);
    expect(() => square.options({ bogus: 1 } as never)).toThrow(/bogus/);
    expect(() => square.options({ maxRetries: 1.5 })).toThrow(/maxRetries/);
    await expect(get(42 as never)).rejects.toThrow(/expected an ObjectRef/);
    await expect(get([square.remote(1), 'x'] as never)).rejects.toThrow(/refs\[1\]/);
    await expect(wait([square.remote(1)], { numReturns: 3 })).rejects.toThrow(/numReturns/);
    await expect(get(square.remote(1), { timeout: -5 })).rejects.toThrow(/timeout/);
    await expect(init()).rejects.toThrow(/already/);
    await expect(init({ address: 'http://x' } as never)).rejects.toThrow(/address/);
  });

  it('each process sees its own pid: tasks run outside the driver', async () => {
    expect(await get(pid.remote())).not.toBe(process.pid);
  });
});
