/**
 * Collectives between Manta actors: every rank is an actor in its own worker process on the
 * embedded cluster, joining the group over its worker's NATS connection (as training workers do).
 */
import { get, init, kill, shutdown } from '@manta/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Step, StepResult } from '../../packages/core/src/collective/testing/scenario.ts';
import { CollectiveRank } from '../fixtures/collective-actors.ts';
import { isAlive, waitFor } from '../harness/processes.ts';

beforeAll(async () => {
  await init({ numCpus: 8, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
});

type Rank = Awaited<ReturnType<typeof CollectiveRank.remote>>;

/** Starts `n` rank actors and forms group `name`; resolves to the handles and worker pids. */
async function formGroup(name: string, n: number, timeoutMs: number) {
  const ranks: Rank[] = await Promise.all(Array.from({ length: n }, () => CollectiveRank.remote()));
  const pids = await get(ranks.map((r, rank) => r.join.remote(name, rank, n, timeoutMs)));
  return { ranks, pids };
}

describe('collective - ranks as actors', () => {
  it('N=4 actors: allReduce, broadcast, allGather, reduceScatter and barrier with sizes not divisible by 4', async () => {
    const { ranks, pids } = await formGroup('actors-ops', 4, 20_000);
    expect(new Set([...pids, process.pid]).size).toBe(5);
    const steps: Step[] = [
      { kind: 'allReduce', dtype: 'float32', length: 100_003, op: 'sum' },
      { kind: 'allReduce', dtype: 'int32', length: 7, op: 'sum' },
      { kind: 'allReduce', dtype: 'float64', length: 1, op: 'mean' },
      { kind: 'allReduce', dtype: 'float32', length: 3, op: 'max' },
      { kind: 'allReduce', dtype: 'int32', length: 10_001, op: 'min', algorithm: 'naive' },
      { kind: 'broadcast', dtype: 'float32', length: 50_001, root: 3 },
      { kind: 'allGather', dtype: 'int32', length: 5 },
      { kind: 'reduceScatter', dtype: 'float32', length: 10_002, op: 'sum' },
      { kind: 'reduceScatter', dtype: 'int32', length: 3, op: 'max' },
      { kind: 'barrier' },
      {
        kind: 'allReduceMany',
        dtype: 'float32',
        lengths: [1, 999, 5, 20_001],
        op: 'mean',
        bucketBytes: 4096,
      },
    ];
    try {
      const results: StepResult[][] = await get(ranks.map((r) => r.run.remote(steps)));
      steps.forEach((step, i) => {
        for (const [rank, mine] of results.entries())
          expect(
            mine[i].ok,
            `rank ${rank} step ${i} ${JSON.stringify(step)}: ${JSON.stringify(mine[i])}`,
          ).toBe(true);
        if (step.kind === 'reduceScatter' || step.kind === 'barrier') return;
        const hashes = new Set(results.map((mine) => mine[i].hash));
        expect(hashes.size, `step ${i} bit-identical on every rank`).toBe(1);
      });
      await get(ranks.map((r) => r.leave.remote()));
    } finally {
      for (const r of ranks) await kill(r);
    }
  });

  it('a rank actor SIGKILLed mid-reduce: every other rank rejects with a CollectiveError naming it, within the timeout', async () => {
    const timeoutMs = 10_000;
    const { ranks, pids } = await formGroup('actors-kill', 3, timeoutMs);
    const steps: Step[] = [
      { kind: 'allReduce', dtype: 'float32', length: 8_000_001, op: 'sum' },
      { kind: 'barrier' },
    ];
    try {
      // Rank 1 kills its own worker process 30 ms into a 32 MB all-reduce (inputs already built).
      const calls = ranks.map((r, rank) => r.run.remote(steps, rank === 1 ? 30 : undefined));
      await expect(get(calls[1])).rejects.toThrow();
      await waitFor(() => !isAlive(pids[1]), 10_000, 'the killed worker to exit');
      for (const rank of [0, 2]) {
        const [reduce, after]: StepResult[] = await get(calls[rank]);
        expect(reduce.ok, JSON.stringify(reduce)).toBe(false);
        expect(reduce.error).toMatchObject({ name: 'CollectiveError', code: 'COLLECTIVE_ERROR', rank: 1 });
        expect(reduce.error!.message).toMatch(/[Rr]ank 1\b/);
        expect(reduce.ms).toBeLessThan(timeoutMs);
        // The group is broken: the next call rejects at once with the same cause.
        expect(after.error?.message).toMatch(/broken.*[Rr]ank 1\b/);
      }
    } finally {
      for (const [rank, r] of ranks.entries()) if (rank !== 1) await kill(r);
    }
  });
});
