import { describe, expect, it } from 'vitest';
import { BasicVariantGenerator } from './basic_variant.ts';
import { choice, gridSearch, loguniform, uniform } from './domains.ts';
import { TPESearcher } from './tpe.ts';
import type { Searcher } from './types.ts';

// Branin (Dixon & Szegő 1978), the standard 2-d benchmark for hyperparameter optimisers:
// global minimum 0.397887 at (-π, 12.275), (π, 2.275) and (9.42478, 2.475).
function branin(x: number, y: number): number {
  const a = 1;
  const b = 5.1 / (4 * Math.PI ** 2);
  const c = 5 / Math.PI;
  const t = 1 / (8 * Math.PI);
  return a * (y - b * x * x + c * x - 6) ** 2 + 10 * (1 - t) * Math.cos(x) + 10;
}
const BRANIN_MIN = 0.397887;
const space = { x: uniform(-5, 10), y: uniform(0, 15) };

function bestOf(searcher: Searcher, budget: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < budget; i++) {
    const id = `t${i}`;
    const config = searcher.suggest(id);
    if (typeof config !== 'object') throw new Error(`searcher returned ${config}`);
    const loss = branin(config.x as number, config.y as number);
    best = Math.min(best, loss);
    searcher.onTrialComplete(id, { loss });
  }
  return best;
}

describe('tpe', () => {
  it('tpe - beats random search on Branin at an equal budget (fixed seeds)', () => {
    const budget = 100;
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const regret = (s: Searcher) => bestOf(s, budget) - BRANIN_MIN;
    const tpe = seeds.map((seed) =>
      regret(new TPESearcher({ paramSpace: space, metric: 'loss', mode: 'min', seed })),
    );
    const random = seeds.map((seed) =>
      regret(new BasicVariantGenerator({ paramSpace: space, numSamples: budget, seed })),
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    // Mean regret (best found − global minimum) far below random's, and better on most seeds.
    expect(mean(tpe)).toBeLessThan(mean(random) / 5);
    expect(tpe.filter((r, i) => r < random[i]).length).toBeGreaterThanOrEqual(8);
  });

  it('tpe - same seed gives the same suggestions; save/restore continues the same sequence', () => {
    const make = () =>
      new TPESearcher({
        paramSpace: { ...space, opt: choice(['a', 'b']) },
        metric: 'loss',
        mode: 'min',
        seed: 9,
        nStartupTrials: 3,
      });
    const a = make();
    const b = make();
    const run = (s: Searcher, from: number, to: number) => {
      const out: unknown[] = [];
      for (let i = from; i < to; i++) {
        const c = s.suggest(`t${i}`) as Record<string, number>;
        out.push(c);
        s.onTrialComplete(`t${i}`, { loss: branin(c.x, c.y) });
      }
      return out;
    };
    expect(run(a, 0, 8)).toEqual(run(b, 0, 8));
    const c = make();
    c.restore(JSON.parse(JSON.stringify(a.save())));
    expect(run(c, 8, 14)).toEqual(run(a, 8, 14));
  });

  it('tpe - respects log and categorical domains and the mode', () => {
    const s = new TPESearcher({
      paramSpace: { lr: loguniform(1e-5, 1), act: choice(['relu', 'tanh']) },
      metric: 'acc',
      mode: 'max',
      seed: 3,
      nStartupTrials: 5,
    });
    const seen: Record<string, unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      const c = s.suggest(`t${i}`) as { lr: number; act: string };
      expect(c.lr).toBeGreaterThanOrEqual(1e-5);
      expect(c.lr).toBeLessThanOrEqual(1);
      seen.push(c);
      // Best near lr = 1e-3 with tanh.
      s.onTrialComplete(`t${i}`, { acc: -Math.abs(Math.log10(c.lr) + 3) - (c.act === 'tanh' ? 0 : 1) });
    }
    const late = seen.slice(20);
    expect(late.filter((c) => c.act === 'tanh').length).toBeGreaterThan(12);
  });

  it('tpe - rejects gridSearch with an error naming the key', () => {
    expect(() => new TPESearcher({ paramSpace: { model: { width: gridSearch([1, 2]) } } })).toThrow(
      /paramSpace\.model\.width/,
    );
  });

  it('tpe - rejects unknown options', () => {
    expect(() => new TPESearcher({ nStartup: 3 } as never)).toThrow(/nStartup/);
  });
});
