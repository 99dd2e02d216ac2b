import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { TrialMetrics } from '../search/index.ts';
import { chooseFifo } from './fifo.ts';
import { MetricTarget, median, schedulerTargetOptions, timeOf } from './metric.ts';
import {
  type SchedulerDecision,
  type SchedulerEffects,
  type SchedulerProperties,
  TrialDecision,
  type TrialScheduler,
  type TrialView,
} from './types.ts';

const optionsSchema = z.strictObject({
  ...schedulerTargetOptions,
  gracePeriod: z.number().min(0).optional(),
  minSamplesRequired: z.number().int().min(1).optional(),
  /** STOP (true, default) or PAUSE (false) a trial below the median. */
  hardStop: z.boolean().optional(),
});
export type MedianStoppingRuleOptions = z.input<typeof optionsSchema>;

interface Point {
  t: number;
  score: number;
}

/**
 * Median stopping rule (Golovin et al. 2017, Google Vizier), as Ray's: after `gracePeriod`,
 * stop a trial whose best score so far is below the median of the other trials' running
 * means up to the same time, once at least `minSamplesRequired` others have got that far.
 */
export class MedianStoppingRule implements TrialScheduler {
  readonly name = 'median';
  readonly timeAttr: string;
  readonly gracePeriod: number;
  readonly minSamplesRequired: number;
  readonly hardStop: boolean;
  private readonly target: MetricTarget;
  private results: Record<string, Point[]> = {};
  private stopped: string[] = [];

  constructor(options: MedianStoppingRuleOptions = {}) {
    const o = parseConfig(optionsSchema, options, 'MedianStoppingRule options');
    this.timeAttr = o.timeAttr ?? 'trainingIteration';
    this.gracePeriod = o.gracePeriod ?? 1;
    this.minSamplesRequired = o.minSamplesRequired ?? 3;
    this.hardStop = o.hardStop ?? true;
    this.target = new MetricTarget('MedianStoppingRule', o.metric, o.mode);
  }

  setSearchProperties(props: SchedulerProperties): void {
    this.target.fill(props);
  }

  onTrialAdd(): void {
    this.target.require();
  }

  onTrialResult(trial: TrialView, result: TrialMetrics): SchedulerDecision {
    if (this.stopped.includes(trial.trialId)) return TrialDecision.Continue;
    const t = timeOf(result, this.timeAttr);
    const score = this.target.score(result);
    if (t === undefined || score === undefined) return TrialDecision.Continue;
    this.results[trial.trialId] ??= [];
    const points = this.results[trial.trialId];
    points.push({ t, score });
    if (t < this.gracePeriod) return TrialDecision.Continue;
    const others = Object.entries(this.results).filter(
      ([id, ps]) => id !== trial.trialId && ps[ps.length - 1].t >= t,
    );
    if (others.length < this.minSamplesRequired) return TrialDecision.Continue;
    const runningMeans = others.map(([, ps]) => {
      const scoped = ps.filter((p) => p.t >= this.gracePeriod && p.t <= t);
      return scoped.reduce((a, p) => a + p.score, 0) / scoped.length;
    });
    const best = Math.max(...points.map((p) => p.score));
    if (best < median(runningMeans)) {
      this.stopped.push(trial.trialId);
      return this.hardStop ? TrialDecision.Stop : TrialDecision.Pause;
    }
    return TrialDecision.Continue;
  }

  onTrialComplete(): SchedulerEffects | undefined {
    return undefined;
  }

  onTrialError(): SchedulerEffects | undefined {
    return undefined;
  }

  chooseTrialToRun(trials: readonly TrialView[]): TrialView | undefined {
    return chooseFifo(trials);
  }

  save(): unknown {
    return { results: this.results, stopped: this.stopped };
  }

  restore(data: unknown): void {
    const state = data as { results: Record<string, Point[]>; stopped: string[] };
    this.results = state.results;
    this.stopped = state.stopped;
  }
}
