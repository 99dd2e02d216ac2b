import { ConfigError } from '@manta/core';
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import { createRng, type Rng, type TrialMetrics } from '../search/index.ts';
import { chooseFifo } from './fifo.ts';
import { MetricTarget, percentile, schedulerTargetOptions, timeOf } from './metric.ts';
import {
  type SchedulerDecision,
  type SchedulerEffects,
  type SchedulerProperties,
  TrialDecision,
  type TrialScheduler,
  type TrialView,
} from './types.ts';

const optionsSchema = z
  .strictObject({
    ...schedulerTargetOptions,
    maxT: z.number().positive().optional(),
    gracePeriod: z.number().positive().optional(),
    reductionFactor: z.number().gt(1).optional(),
    brackets: z.number().int().min(1).optional(),
    /** Stop trials once they reach maxT (default true). */
    stopLastTrials: z.boolean().optional(),
    seed: z.union([z.number(), z.string()]).optional(),
  })
  .refine((o) => (o.gracePeriod ?? 1) <= (o.maxT ?? 100), {
    message: 'gracePeriod must be <= maxT',
    path: ['gracePeriod'],
  });
export type ASHASchedulerOptions = z.input<typeof optionsSchema>;

/** One bracket: rungs (milestone, recorded scores by trial), milestones descending. */
interface Rung {
  milestone: number;
  recorded: Record<string, number>;
}

/**
 * Asynchronous Successive Halving (Li et al. 2018), as Ray's AsyncHyperBandScheduler: a trial
 * reaching a rung milestone is stopped when its score is below the (1 − 1/reductionFactor)
 * percentile of the scores recorded at that rung so far.
 */
export class ASHAScheduler implements TrialScheduler {
  readonly name: string = 'asha';
  readonly timeAttr: string;
  readonly maxT: number;
  readonly gracePeriod: number;
  readonly reductionFactor: number;
  readonly stopLastTrials: boolean;
  private readonly target: MetricTarget;
  private brackets: Rung[][];
  private trialBracket: Record<string, number> = {};
  private rng: Rng;

  constructor(options: ASHASchedulerOptions = {}) {
    const o = parseConfig(optionsSchema, options, `${new.target.name} options`);
    this.timeAttr = o.timeAttr ?? 'trainingIteration';
    this.maxT = o.maxT ?? 100;
    this.gracePeriod = o.gracePeriod ?? 1;
    this.reductionFactor = o.reductionFactor ?? 4;
    this.stopLastTrials = o.stopLastTrials ?? true;
    this.target = new MetricTarget(new.target.name, o.metric, o.mode);
    this.rng = createRng(o.seed ?? 0);
    const maxRungs = Math.floor(
      Math.log(this.maxT / this.gracePeriod) / Math.log(this.reductionFactor) + 1 + 1e-9,
    );
    const nBrackets = o.brackets ?? 1;
    if (nBrackets > maxRungs) {
      throw new ConfigError(
        `${new.target.name} options.brackets: at most ${maxRungs} for these maxT/gracePeriod/reductionFactor (got ${nBrackets})`,
      );
    }
    this.brackets = Array.from({ length: nBrackets }, (_, s) =>
      Array.from({ length: maxRungs - s }, (_, i) => maxRungs - s - 1 - i).map((k) => ({
        milestone: this.gracePeriod * this.reductionFactor ** (k + s),
        recorded: {},
      })),
    );
  }

  /** Milestones per bracket, highest first (for inspection and tests). */
  get rungMilestones(): number[][] {
    return this.brackets.map((b) => b.map((r) => r.milestone));
  }

  setSearchProperties(props: SchedulerProperties): void {
    this.target.fill(props);
  }

  onTrialAdd(trial: TrialView): void {
    this.target.require();
    if (trial.trialId in this.trialBracket) return;
    // Ray: pick a bracket with probability softmax(number of rungs).
    const sizes = this.brackets.map((b) => b.length);
    const max = Math.max(...sizes);
    const weights = sizes.map((s) => Math.exp(s - max));
    let u = this.rng.next() * weights.reduce((a, b) => a + b, 0);
    let index = 0;
    while (index < weights.length - 1 && u >= weights[index]) u -= weights[index++];
    this.trialBracket[trial.trialId] = index;
  }

  onTrialResult(trial: TrialView, result: TrialMetrics): SchedulerDecision {
    const t = timeOf(result, this.timeAttr);
    const score = this.target.score(result);
    if (t === undefined || score === undefined) return TrialDecision.Continue;
    if (t >= this.maxT && this.stopLastTrials) return TrialDecision.Stop;
    return this.onBracketResult(trial.trialId, t, score);
  }

  private onBracketResult(trialId: string, t: number, score: number): TrialDecision {
    const bracket = this.brackets[this.trialBracket[trialId] ?? 0];
    for (const rung of bracket) {
      // Milestones descend: once a rung at or below t has this trial, the decision was made.
      if (t >= rung.milestone && trialId in rung.recorded && !this.stopLastTrials) break;
      if (t < rung.milestone || trialId in rung.recorded) continue;
      const scores = Object.values(rung.recorded);
      const cutoff = scores.length > 0 ? percentile(scores, (1 - 1 / this.reductionFactor) * 100) : undefined;
      rung.recorded[trialId] = score;
      return cutoff !== undefined && score < cutoff ? TrialDecision.Stop : TrialDecision.Continue;
    }
    return TrialDecision.Continue;
  }

  onTrialComplete(trial: TrialView, result: TrialMetrics | undefined): SchedulerEffects | undefined {
    if (!result) return undefined;
    const t = timeOf(result, this.timeAttr);
    const score = this.target.score(result);
    if (t !== undefined && score !== undefined) this.onBracketResult(trial.trialId, t, score);
    return undefined;
  }

  onTrialError(): SchedulerEffects | undefined {
    return undefined;
  }

  chooseTrialToRun(trials: readonly TrialView[]): TrialView | undefined {
    return chooseFifo(trials);
  }

  save(): unknown {
    return { brackets: this.brackets, trialBracket: this.trialBracket, rng: this.rng.save() };
  }

  restore(data: unknown): void {
    const state = data as { brackets: Rung[][]; trialBracket: Record<string, number>; rng: object };
    this.brackets = state.brackets;
    this.trialBracket = state.trialBracket;
    this.rng = createRng(undefined, state.rng);
  }
}
