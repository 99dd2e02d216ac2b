/**
 * Collectives across real processes: every rank is a child process (testing/rank.ts) talking
 * over a real nats-server, for N = 2, 3, 4, 7, both transports, every op and dtype, sizes from
 * one element to 64 MB, fp16 compression, a SIGKILLed rank and mismatched calls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from '../nats/index.ts';
import type { Step } from './testing/scenario.ts';
import { type RankOutcome, runRanks, type SharedSpec } from './testing/spawn-ranks.ts';
import type { Dtype, ReduceOp, TransportName } from './types.ts';

let server: NatsServerHandle;
let groupId = 0;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
});
afterAll(async () => {
  await server?.stop();
});

function spec(
  worldSize: number,
  transport: TransportName,
  steps: Step[],
  extra: Partial<SharedSpec> = {},
): SharedSpec {
  return {
    url: server.url,
    token: server.token,
    group: `mp${groupId++}`,
    worldSize,
    transport,
    steps,
    timeoutMs: 20_000,
    ...extra,
  };
}

const DTYPES: Dtype[] = ['float32', 'float64', 'int32'];
const OPS: ReduceOp[] = ['sum', 'mean', 'max', 'min'];

function matrix(lengths: number[]): Step[] {
  const steps: Step[] = [];
  for (const dtype of DTYPES)
    for (const op of OPS) for (const length of lengths) steps.push({ kind: 'allReduce', dtype, length, op });
  return steps;
}

function others(n: number, length: number): Step[] {
  return [
    { kind: 'broadcast', dtype: 'float64', length, root: n - 1 },
    { kind: 'broadcast', dtype: 'int32', length: 1, root: 0 },
    { kind: 'allGather', dtype: 'float32', length },
    { kind: 'allGather', dtype: 'int32', length: 1 },
    { kind: 'reduceScatter', dtype: 'float32', length: length + 1, op: 'sum' },
    { kind: 'reduceScatter', dtype: 'int32', length: 1, op: 'max' },
    { kind: 'barrier' },
    {
      kind: 'allReduceMany',
      dtype: 'float32',
      lengths: [1, 7, 1000, 3, length, 2],
      op: 'mean',
      bucketBytes: 4096,
    },
    { kind: 'allReduce', dtype: 'float32', length, op: 'sum', algorithm: 'naive' },
    { kind: 'allReduce', dtype: 'int32', length: 3, op: 'min', algorithm: 'naive' },
  ];
}

/** Every rank finished every step correctly, and results meant to be identical are bit-identical. */
function expectAllOk(outcomes: RankOutcome[], steps: Step[]): void {
  for (const o of outcomes) {
    expect(o.stderr, `rank ${o.rank} stderr`).toBe('');
    expect(o.done, `rank ${o.rank} finished`).toBe(true);
    for (const [i, r] of o.results.entries()) {
      expect(r.ok, `rank ${o.rank} step ${i} ${JSON.stringify(steps[i])}: ${JSON.stringify(r)}`).toBe(true);
    }
  }
  steps.forEach((step, i) => {
    if (step.kind === 'reduceScatter' || step.kind === 'barrier') return;
    const hashes = new Set(outcomes.map((o) => o.results[i].hash));
    expect(hashes.size, `step ${i} ${JSON.stringify(step)} bit-identical across ranks`).toBe(1);
  });
}

describe('collective multi-process', () => {
  it('multi-process - N=2 tcp: every op and dtype, 1 element to 4 MB, sizes not divisible by N', async () => {
    const steps = [
      ...matrix([1, 5, 100_003]),
      { kind: 'allReduce', dtype: 'float32', length: 1_000_001, op: 'sum' } as Step,
      ...others(2, 30_001),
    ];
    expectAllOk(await runRanks(spec(2, 'tcp', steps)), steps);
  });

  it('multi-process - N=3 nats: every op and dtype, chunked under max_payload', async () => {
    const steps = [
      ...matrix([2, 30_001]),
      { kind: 'allReduce', dtype: 'float64', length: 400_001, op: 'sum' } as Step,
      ...others(3, 20_000),
    ];
    expectAllOk(await runRanks(spec(3, 'nats', steps)), steps);
  });

  it('multi-process - N=4 tcp with fp16 compression and 16 KiB chunks (deep pipelining): float32 within fp16 rounding, other dtypes exact', async () => {
    const steps: Step[] = [
      ...(['sum', 'mean', 'max', 'min'] as const).flatMap((op) => [
        { kind: 'allReduce', dtype: 'float32', length: 7, op } as Step,
        { kind: 'allReduce', dtype: 'float32', length: 250_001, op } as Step,
      ]),
      { kind: 'allReduce', dtype: 'int32', length: 1001, op: 'sum' },
      { kind: 'allReduce', dtype: 'float64', length: 1001, op: 'sum' },
      { kind: 'reduceScatter', dtype: 'float32', length: 10_003, op: 'sum' },
      { kind: 'allReduceMany', dtype: 'float32', lengths: [3, 5000, 1], op: 'sum', bucketBytes: 1024 },
      { kind: 'broadcast', dtype: 'float32', length: 999, root: 2 },
    ];
    expectAllOk(await runRanks(spec(4, 'tcp', steps, { compression: 'fp16', chunkBytes: 16 * 1024 })), steps);
  });

  for (const transport of ['tcp', 'nats'] as const) {
    it(`multi-process - N=7 ${transport}: tiny buffers (1 element with 7 ranks) and 1 MB`, async () => {
      const steps: Step[] = [
        ...[1, 6, 7, 8].flatMap((length) => [
          { kind: 'allReduce', dtype: 'int32', length, op: 'sum' } as Step,
          { kind: 'allReduce', dtype: 'float32', length, op: 'mean' } as Step,
        ]),
        { kind: 'allReduce', dtype: 'float32', length: 262_147, op: 'sum' },
        { kind: 'allReduce', dtype: 'float64', length: 13, op: 'max' },
        ...others(7, 5),
      ];
      expectAllOk(await runRanks(spec(7, transport, steps)), steps);
    });
  }

  it('multi-process - N=2 tcp: a 64 MB float32 all-reduce', async () => {
    const steps: Step[] = [{ kind: 'allReduce', dtype: 'float32', length: 16 * 1024 * 1024, op: 'sum' }];
    expectAllOk(await runRanks(spec(2, 'tcp', steps)), steps);
  });

  for (const [transport, timeoutMs] of [
    ['tcp', 20_000],
    ['nats', 2_000],
  ] as const) {
    it(`multi-process - ${transport}: a rank SIGKILLed mid-reduce makes every other rank reject with a CollectiveError naming it`, async () => {
      const steps: Step[] = [
        { kind: 'barrier' },
        { kind: 'allReduce', dtype: 'float32', length: 4_000_000, op: 'sum' },
        { kind: 'barrier' },
      ];
      const outcomes = await runRanks(spec(3, transport, steps, { timeoutMs }), {
        1: { dieAtStep: 1, dieAfterMs: 20 },
      });
      expect(outcomes[1].signal).toBe('SIGKILL');
      for (const o of [outcomes[0], outcomes[2]]) {
        expect(o.done, o.stderr).toBe(true);
        expect(o.results[0].ok).toBe(true);
        const failed = o.results[1];
        expect(failed.ok).toBe(false);
        expect(failed.error).toMatchObject({ name: 'CollectiveError', code: 'COLLECTIVE_ERROR', rank: 1 });
        expect(failed.error!.message).toMatch(/[Rr]ank 1\b/);
        // TCP sees the socket close at once; NATS notices the missing heartbeats within the timeout.
        expect(failed.ms).toBeLessThan(transport === 'tcp' ? 5_000 : timeoutMs + 1_500);
        // The group is broken afterwards: later calls reject at once with the same cause.
        expect(o.results[2].error?.message).toMatch(/broken.*[Rr]ank 1\b/);
      }
    });
  }

  it('multi-process - mismatched lengths and dtypes reject on every rank with a clear error, fast', async () => {
    const base: Step[] = [{ kind: 'allReduce', dtype: 'float32', length: 1000, op: 'sum' }];
    const longer: Step[] = [{ kind: 'allReduce', dtype: 'float32', length: 1001, op: 'sum' }];
    const outcomes = await runRanks(spec(3, 'tcp', base), { 2: { steps: longer } });
    for (const o of outcomes) {
      expect(o.results[0].ok).toBe(false);
      expect(o.results[0].error?.message).toMatch(
        /Mismatched collective call #0: .*allReduce of 100[01] float32 \(sum\).*allReduce of 100[01] float32/,
      );
      expect(o.results[0].ms).toBeLessThan(5_000);
    }
    const f64: Step[] = [{ kind: 'allReduce', dtype: 'float64', length: 1000, op: 'sum' }];
    const second = await runRanks(spec(2, 'nats', base), { 1: { steps: f64 } });
    for (const o of second) expect(o.results[0].error?.message).toMatch(/float32.*float64|float64.*float32/);
  });
});
