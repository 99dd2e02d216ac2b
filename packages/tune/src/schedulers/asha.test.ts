import { describe, expect, it } from 'vitest';
import { ASHAScheduler } from './asha.ts';
import { runFake } from './fake_runner.ts';

const flat = (values: number[], length = 20) =>
  values.map((v, i) => ({ id: `t${i}`, curve: (t: number) => v + 0.01 * t, length }));

describe('asha', () => {
  it('asha - rung milestones per bracket follow gracePeriod·rf^k', () => {
    const s = new ASHAScheduler({
      metric: 'acc',
      mode: 'max',
      maxT: 27,
      gracePeriod: 1,
      reductionFactor: 3,
      brackets: 2,
    });
    expect(s.rungMilestones).toEqual([
      [27, 9, 3, 1],
      [27, 9, 3],
    ]);
  });

  it('asha - stops the right trials at the right rungs (hand-computed table)', () => {
    // maxT 9, grace 1, rf 3: rungs at t = 1 and 3 (9 is maxT: every survivor stops there).
    // Cutoff = 66.7th percentile (numpy linear) of the scores already recorded at the rung.
    // Trials run one after another; score = v + 0.01 t.
    //   t0 v5: rung1 {} → go; rung3 {} → go; t9 → STOP (maxT)
    //   t1 v3: rung1 {5.01} cutoff 5.01 → STOP@1
    //   t2 v8: rung1 {5.01,3.01} cutoff 4.343 → go; rung3 {5.03} cutoff 5.03 → go; STOP@9
    //   t3 v1: rung1 {3.01,5.01,8.01} cutoff 6.01 → STOP@1
    //   t4 v6: rung1 {1.01,3.01,5.01,8.01} cutoff 5.01 → go; rung3 {5.03,8.03} cutoff 7.03 → STOP@3
    //   t5 v2: rung1 {1.01,3.01,5.01,6.01,8.01} cutoff 5.677 → STOP@1
    const s = new ASHAScheduler({ metric: 'acc', mode: 'max', maxT: 9, gracePeriod: 1, reductionFactor: 3 });
    const log = runFake(s, flat([5, 3, 8, 1, 6, 2]));
    expect(log.stoppedAt).toEqual({ t0: 9, t1: 1, t2: 9, t3: 1, t4: 3, t5: 1 });
    const rungs = (s.save() as { brackets: { milestone: number; recorded: Record<string, number> }[][] })
      .brackets[0];
    expect(Object.keys(rungs.find((r) => r.milestone === 1)?.recorded ?? {}).sort()).toEqual([
      't0',
      't1',
      't2',
      't3',
      't4',
      't5',
    ]);
    expect(Object.keys(rungs.find((r) => r.milestone === 3)?.recorded ?? {}).sort()).toEqual([
      't0',
      't2',
      't4',
    ]);
  });

  it('asha - mode min flips the comparison', () => {
    const s = new ASHAScheduler({ metric: 'acc', mode: 'min', maxT: 9, gracePeriod: 1, reductionFactor: 3 });
    const log = runFake(s, flat([-5, -3, -8, -1, -6, -2]));
    expect(log.stoppedAt).toEqual({ t0: 9, t1: 1, t2: 9, t3: 1, t4: 3, t5: 1 });
  });

  it('asha - the same seed gives the same bracket choices and decisions', () => {
    const values = [4, 9, 1, 7, 3, 8, 2, 6, 5, 0, 7.5, 2.5];
    const run = (seed: number) =>
      runFake(
        new ASHAScheduler({ metric: 'acc', mode: 'max', maxT: 27, reductionFactor: 3, brackets: 3, seed }),
        flat(values, 30),
        {
          maxConcurrent: 3,
        },
      );
    expect(run(7)).toEqual(run(7));
    const brackets = (seed: number) => {
      const s = new ASHAScheduler({
        metric: 'acc',
        mode: 'max',
        maxT: 27,
        reductionFactor: 3,
        brackets: 3,
        seed,
      });
      runFake(s, flat(values, 30), { maxConcurrent: 3 });
      return (s.save() as { trialBracket: Record<string, number> }).trialBracket;
    };
    expect(new Set(Object.values(brackets(7))).size).toBeGreaterThan(1);
    expect(
      [1, 2, 3, 4, 5].some((seed) => JSON.stringify(brackets(seed)) !== JSON.stringify(brackets(7))),
    ).toBe(true);
  });

  it('asha - save/restore keeps the rung records', () => {
    const a = new ASHAScheduler({ metric: 'acc', mode: 'max', maxT: 9, gracePeriod: 1, reductionFactor: 3 });
    runFake(a, flat([5, 3, 8]));
    const b = new ASHAScheduler({ metric: 'acc', mode: 'max', maxT: 9, gracePeriod: 1, reductionFactor: 3 });
    b.restore(JSON.parse(JSON.stringify(a.save())));
    // t3 (v1) is judged against the restored rung-1 record {5.01, 3.01, 8.01}.
    const log = runFake(b, flat([0, 0, 0, 1]).slice(3));
    expect(log.stoppedAt).toEqual({ t3: 1 });
  });

  it('asha - constructor rejects bad and unknown options', () => {
    expect(() => new ASHAScheduler({ reductionFactor: 1 })).toThrow(/reductionFactor/);
    expect(() => new ASHAScheduler({ gracePeriod: 10, maxT: 5 })).toThrow(/gracePeriod/);
    expect(() => new ASHAScheduler({ grace_period: 1 } as never)).toThrow(/grace_period/);
    expect(() => new ASHAScheduler({ maxT: 9, brackets: 5, reductionFactor: 3 })).toThrow(/brackets/);
    const s = new ASHAScheduler({});
    expect(() =>
      s.onTrialAdd({
        trialId: 'x',
        status: 'PENDING',
        config: {},
        lastResult: undefined,
        checkpoint: undefined,
      }),
    ).toThrow(/metric/);
  });
});
