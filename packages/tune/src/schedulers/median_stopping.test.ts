import { describe, expect, it } from 'vitest';
import { runFake } from './fake_runner.ts';
import { MedianStoppingRule } from './median_stopping.ts';

describe('median stopping', () => {
  it('median - stops a trial whose best is below the median running mean (hand-computed)', () => {
    // gracePeriod 3, minSamplesRequired 2; trials run one after another for 10 iterations.
    //   t0 acc=t: no peers → runs out.       t1 acc=7: one peer → runs out.
    //   t2 acc=5: t3 means {t0:3, t1:7} median 5 → 5 ≮ 5 go; t4 {3.5, 7} median 5.25 → STOP@4
    //   t3 acc=4+t/2: t3 5.5 vs median(3,7,5)=5 go; t4 6 vs median(3.5,7,5)=5 go;
    //      t5 6.5 vs median(4,7)=5.5 go; … its best stays above the median → runs out
    //   t4 acc=2: t3 vs median(3,7,5,5.5)=5.25 → STOP@3
    const s = new MedianStoppingRule({ metric: 'acc', mode: 'max', gracePeriod: 3, minSamplesRequired: 2 });
    const curves = [(t: number) => t, () => 7, () => 5, (t: number) => 4 + t / 2, () => 2];
    const log = runFake(
      s,
      curves.map((curve, i) => ({ id: `t${i}`, curve, length: 10 })),
    );
    expect(log.lastIteration).toEqual({ t0: 10, t1: 10, t2: 4, t3: 10, t4: 3 });
    expect(log.stoppedAt).toEqual({ t2: 4, t4: 3 });
  });

  it('median - decisions are reproducible and survive save/restore', () => {
    const make = () =>
      new MedianStoppingRule({ metric: 'loss', mode: 'min', gracePeriod: 2, minSamplesRequired: 2 });
    const trials = [3, 1, 2, 5, 0.5, 4].map((v, i) => ({
      id: `t${i}`,
      curve: (t: number) => v / t,
      length: 8,
    }));
    const a = runFake(make(), trials, { maxConcurrent: 2, metric: 'loss' });
    expect(runFake(make(), trials, { maxConcurrent: 2, metric: 'loss' })).toEqual(a);
    expect(Object.keys(a.stoppedAt).length).toBeGreaterThan(0);
    const first = make();
    runFake(first, trials.slice(0, 3), { metric: 'loss' });
    const resumed = make();
    resumed.restore(JSON.parse(JSON.stringify(first.save())));
    // t3 (worst) is judged against the restored peers and stopped at the grace period.
    expect(runFake(resumed, trials.slice(3, 4), { metric: 'loss' }).stoppedAt).toEqual({ t3: 2 });
  });
});
