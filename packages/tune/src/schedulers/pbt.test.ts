import { ConfigError } from '@manta/core';
import { describe, expect, it } from 'vitest';
import { choice, uniform } from '../search/index.ts';
import { PopulationBasedTraining } from './pbt.ts';
import { createScheduler } from './registry.ts';
import { decisionOf, TrialStatus, type TrialView } from './types.ts';

function view(trialId: string, config: Record<string, unknown>, checkpoint?: string): TrialView {
  return { trialId, status: TrialStatus.Running, config, lastResult: undefined, checkpoint };
}

/** Four trials report at t=5 with scores 1..4, each better than those before except the last (the worst). */
function exploitOnce(seed: number) {
  const pbt = new PopulationBasedTraining({
    metric: 'score',
    mode: 'max',
    perturbationInterval: 5,
    hyperparamMutations: { lr: uniform(0.001, 1), opt: ['sgd', 'adam', 'rmsprop'] },
    seed,
  });
  const trials = [0, 1, 2, 3].map((i) => view(`t${i}`, { lr: 0.1 * (i + 1), opt: 'adam' }, `/ckpt/t${i}`));
  for (const t of trials) pbt.onTrialAdd(t);
  const decisions = [1, 2, 3, 0].map((i) =>
    decisionOf(pbt.onTrialResult(trials[i], { score: i + 1, trainingIteration: 5 })),
  );
  return decisions;
}

describe('pbt', () => {
  it('pbt - the bottom quantile exploits the top one: PAUSE with donor, checkpoint and explored config', () => {
    const decisions = exploitOnce(1);
    expect(decisions.slice(0, 3).map((d) => d.decision)).toEqual(['CONTINUE', 'CONTINUE', 'CONTINUE']);
    const last = decisions[3];
    expect(last.decision).toBe('PAUSE');
    // 4 scored trials, quantile 0.25 → 1 trial per quantile: donor is t3, the best.
    expect(last.exploit?.donorTrialId).toBe('t3');
    expect(last.exploit?.checkpoint).toBe('/ckpt/t3');
    const lr = last.exploit?.newConfig.lr as number;
    const perturbed = [0.4 * 1.2, 0.4 * 0.8].some((v) => Math.abs(v - lr) < 1e-12);
    expect(perturbed || (lr >= 0.001 && lr <= 1)).toBe(true);
    expect(['sgd', 'adam', 'rmsprop']).toContain(last.exploit?.newConfig.opt);
  });

  it('pbt - exploit decisions are reproducible with a seed', () => {
    expect(exploitOnce(5)).toEqual(exploitOnce(5));
    const configs = [1, 2, 3, 4, 5, 6].map((s) => JSON.stringify(exploitOnce(s)[3].exploit?.newConfig));
    expect(new Set(configs).size).toBeGreaterThan(1);
  });

  it('pbt - no perturbation before the interval', () => {
    const pbt = new PopulationBasedTraining({
      metric: 's',
      mode: 'max',
      perturbationInterval: 4,
      hyperparamMutations: { x: choice([1, 2]) },
    });
    const a = view('a', { x: 1 }, '/a');
    const b = view('b', { x: 2 }, '/b');
    pbt.onTrialAdd(a);
    pbt.onTrialAdd(b);
    for (let t = 1; t < 4; t++) {
      expect(pbt.onTrialResult(b, { s: 10, trainingIteration: t })).toBe('CONTINUE');
      expect(pbt.onTrialResult(a, { s: 0, trainingIteration: t })).toBe('CONTINUE');
    }
    pbt.onTrialResult(b, { s: 10, trainingIteration: 4 });
    expect(decisionOf(pbt.onTrialResult(a, { s: 0, trainingIteration: 4 })).exploit?.donorTrialId).toBe('b');
  });

  it('pbt - constructor rejects bad arguments, naming them', () => {
    expect(() => new PopulationBasedTraining({ metric: 'm', mode: 'max' })).toThrow(/hyperparamMutations/);
    expect(() => new PopulationBasedTraining({ hyperparamMutations: { lr: [] } })).toThrow(
      /hyperparamMutations\.lr: an empty list/,
    );
    expect(() => new PopulationBasedTraining({ hyperparamMutations: { lr: 3 } })).toThrow(
      /hyperparamMutations\.lr/,
    );
    expect(
      () => new PopulationBasedTraining({ hyperparamMutations: { lr: [1] }, quantileFraction: 0.7 }),
    ).toThrow(/quantileFraction/);
    expect(
      () =>
        new PopulationBasedTraining({ hyperparamMutations: { lr: [1] }, perturbation_interval: 3 } as never),
    ).toThrow(/perturbation_interval/);
  });
});

describe('scheduler registry', () => {
  it('registry - builds by name and lists the known names for an unknown one', () => {
    expect(createScheduler('asha', { metric: 'm', mode: 'max' }).name).toBe('asha');
    expect(createScheduler('fifo').name).toBe('fifo');
    expect(() => createScheduler('bohb')).toThrow(ConfigError);
    expect(() => createScheduler('bohb')).toThrow(
      /known schedulers: fifo, asha, async_hyperband, hyperband, median_stopping_rule, pbt/,
    );
  });
});
