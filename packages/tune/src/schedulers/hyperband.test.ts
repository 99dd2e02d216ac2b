import { describe, expect, it } from 'vitest';
import { runFake } from './fake_runner.ts';
import { HyperBandScheduler } from './hyperband.ts';

const constant = (values: number[], length = 20) =>
  values.map((v, i) => ({ id: `t${i}`, curve: () => v, length }));

describe('hyperband', () => {
  it('hyperband - band layout for maxT 9, η 3', () => {
    // sMax = 2; n_s = ceil(3/(s+1)·3^s), r_s = 9·3^-s.
    const s = new HyperBandScheduler({ metric: 'acc', mode: 'max', maxT: 9, reductionFactor: 3 });
    expect(s.bandLayout()).toEqual([
      { s: 2, capacity: 9, milestone: 1 },
      { s: 1, capacity: 5, milestone: 3 },
      { s: 0, capacity: 3, milestone: 9 },
    ]);
  });

  it('hyperband - successive halving per bracket (hand-computed)', () => {
    // 14 trials, score = index. Bracket s=2 takes t0..t8: at t=1 keep ⌊9/3⌋=3 (t6,t7,t8), at
    // t=3 keep 1 (t8), which runs to maxT. Bracket s=1 takes t9..t13: at t=3 keep ⌊5/3⌋=1 (t13).
    const s = new HyperBandScheduler({ metric: 'acc', mode: 'max', maxT: 9, reductionFactor: 3 });
    const values = Array.from({ length: 14 }, (_, i) => i);
    const log = runFake(s, constant(values), { maxConcurrent: 3 });
    expect(log.lastIteration).toEqual({
      t0: 1,
      t1: 1,
      t2: 1,
      t3: 1,
      t4: 1,
      t5: 1,
      t6: 3,
      t7: 3,
      t8: 9,
      t9: 3,
      t10: 3,
      t11: 3,
      t12: 3,
      t13: 9,
    });
    // Every trial ends stopped by the scheduler, none left paused.
    expect(Object.keys(log.stoppedAt)).toHaveLength(14);
    // Trials wait (PAUSE) at a milestone until the rung is complete.
    expect(log.decisions.filter(([id, t, d]) => id === 't0' && t === 1 && d === 'PAUSE')).toHaveLength(1);
  });

  it('hyperband - a rung completes when a trial leaves early', () => {
    const s = new HyperBandScheduler({ metric: 'acc', mode: 'min', maxT: 9, reductionFactor: 3 });
    // Bracket s=2 with only 3 trials, one of which ends by itself at t=0.5 worth of work (length 0 → ends at t=1).
    const trials = [
      { id: 'a', curve: () => 1, length: 20 },
      { id: 'b', curve: () => 2, length: 20 },
      { id: 'c', curve: () => 3, length: 1 },
    ];
    const log = runFake(s, trials, { maxConcurrent: 3 });
    // c finishes at t=1 (its last result is also its milestone); a (lowest, mode min) wins the rung.
    expect(log.lastIteration).toEqual({ a: 9, b: 1, c: 1 });
  });

  it('hyperband - rejects bad options', () => {
    expect(() => new HyperBandScheduler({ reductionFactor: 0.5 })).toThrow(/reductionFactor/);
    expect(() => new HyperBandScheduler({ max_t: 3 } as never)).toThrow(/max_t/);
  });
});
