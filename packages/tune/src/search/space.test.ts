import { ConfigError } from '@manta/core';
import { describe, expect, it } from 'vitest';
import { BasicVariantGenerator } from './basic_variant.ts';
import { ConcurrencyLimiter } from './concurrency_limiter.ts';
import {
  choice,
  gridSearch,
  loguniform,
  qloguniform,
  qrandint,
  quniform,
  randint,
  randn,
  sampleFrom,
  uniform,
} from './domains.ts';
import { Repeater } from './repeater.ts';
import { createRng } from './rng.ts';
import { deserializeSpace, resolveSpace, serializeSpace, validateParamSpace } from './space.ts';
import { type Searcher, Suggestion, type TrialConfig } from './types.ts';

function drain(searcher: Searcher): TrialConfig[] {
  const out: TrialConfig[] = [];
  for (let i = 0; ; i++) {
    const s = searcher.suggest(`t${i}`);
    if (s === Suggestion.Finished) return out;
    if (s === Suggestion.Wait) throw new Error('unexpected WAIT');
    out.push(s);
  }
}

describe('search space', () => {
  it('space - every sampler stays in its range and honours q and integrality', () => {
    const rng = createRng(1);
    for (let i = 0; i < 500; i++) {
      const c = resolveSpace(
        {
          u: uniform(-1, 1),
          qu: quniform(0, 1, 0.25),
          lu: loguniform(1e-4, 1e-1),
          qlu: qloguniform(1, 100, 5),
          n: randn(10, 0.001),
          ri: randint(3, 6),
          qri: qrandint(0, 20, 5),
          ch: choice(['a', 'b', 'c']),
        },
        rng,
      ) as Record<string, number>;
      expect(c.u).toBeGreaterThanOrEqual(-1);
      expect(c.u).toBeLessThan(1);
      expect([0, 0.25, 0.5, 0.75, 1]).toContain(c.qu);
      expect(c.lu).toBeGreaterThanOrEqual(1e-4);
      expect(c.lu).toBeLessThan(1e-1);
      expect(c.qlu % 5).toBe(0);
      expect(Math.abs(c.n - 10)).toBeLessThan(0.01);
      expect([3, 4, 5]).toContain(c.ri);
      expect([0, 5, 10, 15, 20]).toContain(c.qri);
      expect(['a', 'b', 'c']).toContain(c.ch);
    }
  });

  it('space - loguniform is uniform in log space', () => {
    const rng = createRng(2);
    const values = Array.from(
      { length: 4000 },
      () => resolveSpace({ x: loguniform(1e-4, 1) }, rng).x as number,
    );
    const belowMilli = values.filter((v) => v < 1e-2).length / values.length;
    expect(belowMilli).toBeGreaterThan(0.45);
    expect(belowMilli).toBeLessThan(0.55);
  });

  it('space - bad domains throw ConfigError naming the key', () => {
    const bad = (space: Record<string, unknown>) => () => validateParamSpace(space);
    expect(bad({ opt: { lr: loguniform(0, 1) } })).toThrow(
      /paramSpace\.opt\.lr: loguniform lower bound must be > 0 \(got 0\)/,
    );
    expect(bad({ act: choice([]) })).toThrow(/paramSpace\.act: choice needs a non-empty array/);
    expect(bad({ n: randint(5, 5) })).toThrow(/paramSpace\.n: randint upper bound/);
    expect(bad({ q: quniform(0, 1, 0) })).toThrow(/paramSpace\.q: quniform q must be a positive number/);
    expect(bad({ g: gridSearch([]) })).toThrow(ConfigError);
    expect(() => validateParamSpace([1, 2])).toThrow(ConfigError);
  });

  it('space - sampleFrom sees the resolved config, nested objects resolve', () => {
    const c = resolveSpace(
      { a: { b: randint(1, 5) }, c: sampleFrom((cfg) => (cfg.a as { b: number }).b * 10), k: 'const' },
      createRng(3),
    );
    expect(c.c).toBe((c.a as { b: number }).b * 10);
    expect(c.k).toBe('const');
  });

  it('space - serialize round-trips domains and refuses functions', () => {
    const space = { lr: loguniform(1e-3, 1), m: { act: choice(['a', 'b']) } };
    const back = deserializeSpace(serializeSpace(space));
    expect(resolveSpace(back, createRng(5))).toEqual(resolveSpace(space, createRng(5)));
    expect(serializeSpace({ f: sampleFrom(() => 1) })).toBeUndefined();
  });
});

describe('basic variant generator', () => {
  it('variant - numSamples repeats the full grid with fresh random values', () => {
    const g = new BasicVariantGenerator({
      paramSpace: { a: gridSearch([1, 2, 3]), b: gridSearch(['x', 'y']), r: uniform(0, 1) },
      numSamples: 2,
      seed: 1,
    });
    const configs = drain(g);
    expect(configs).toHaveLength(12);
    const points = configs.map((c) => `${c.a}${c.b}`);
    expect(points.slice(0, 6).sort()).toEqual(['1x', '1y', '2x', '2y', '3x', '3y']);
    expect(points.slice(6)).toEqual(points.slice(0, 6));
    expect(new Set(configs.map((c) => c.r)).size).toBe(12);
  });

  it('variant - the same seed gives the same configs in the same order; save/restore resumes', () => {
    const space = { lr: loguniform(1e-4, 1), g: gridSearch([1, 2]) };
    const a = drain(new BasicVariantGenerator({ paramSpace: space, numSamples: 5, seed: 42 }));
    const b = drain(new BasicVariantGenerator({ paramSpace: space, numSamples: 5, seed: 42 }));
    const other = drain(new BasicVariantGenerator({ paramSpace: space, numSamples: 5, seed: 43 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(other);
    const g = new BasicVariantGenerator({ paramSpace: space, numSamples: 5, seed: 42 });
    const first = [g.suggest('a'), g.suggest('b'), g.suggest('c')];
    const resumed = new BasicVariantGenerator({ paramSpace: space, numSamples: 5 });
    resumed.restore(JSON.parse(JSON.stringify(g.save())));
    expect([...first, ...drain(resumed)]).toEqual(a);
  });

  it('variant - rejects unknown options and bad spaces', () => {
    expect(() => new BasicVariantGenerator({ numSample: 3 } as never)).toThrow(/numSample/);
    expect(() => new BasicVariantGenerator({ paramSpace: { lr: loguniform(-1, 1) } })).toThrow(
      /paramSpace\.lr/,
    );
  });
});

describe('searcher wrappers', () => {
  it('limiter - at most maxConcurrent live suggestions', () => {
    const l = new ConcurrencyLimiter(
      new BasicVariantGenerator({ paramSpace: { x: uniform(0, 1) }, numSamples: 10, seed: 1 }),
      { maxConcurrent: 2 },
    );
    expect(typeof l.suggest('a')).toBe('object');
    expect(typeof l.suggest('b')).toBe('object');
    expect(l.suggest('c')).toBe(Suggestion.Wait);
    l.onTrialComplete('a', { m: 1 });
    expect(typeof l.suggest('c')).toBe('object');
    expect(() => new ConcurrencyLimiter(l, { maxConcurrent: 0 })).toThrow(/maxConcurrent/);
  });

  it('repeater - repeats each config and reports the mean to the inner searcher', () => {
    const completed: [string, unknown][] = [];
    const inner = new BasicVariantGenerator({ paramSpace: { x: uniform(0, 1) }, numSamples: 2, seed: 1 });
    const spy: Searcher = {
      ...inner,
      name: 'spy',
      setSearchProperties: (p) => inner.setSearchProperties(p),
      suggest: (id) => inner.suggest(id),
      onTrialResult: () => {},
      onTrialComplete: (id, r) => void completed.push([id, r]),
      save: () => inner.save(),
      restore: (d) => inner.restore(d),
    };
    const r = new Repeater(spy, { repeat: 3 });
    r.setSearchProperties({ metric: 'score', mode: 'max' });
    const configs = drain(r);
    expect(configs).toHaveLength(6);
    expect(configs.map((c) => c.__trial_index__)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(configs[1].x).toBe(configs[0].x);
    r.onTrialComplete('t0', { score: 1 });
    r.onTrialComplete('t1', { score: 2 });
    expect(completed).toEqual([]);
    r.onTrialComplete('t2', { score: 6 });
    expect(completed).toEqual([['t0', { score: 3 }]]);
  });
});
