import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { TrialMetrics } from '../search/index.ts';
import { MetricTarget, schedulerTargetOptions, timeOf } from './metric.ts';
import {
  type SchedulerDecision,
  type SchedulerEffects,
  type SchedulerProperties,
  TrialDecision,
  type TrialScheduler,
  TrialStatus,
  type TrialView,
} from './types.ts';

const optionsSchema = z.strictObject({
  ...schedulerTargetOptions,
  maxT: z.number().positive().optional(),
  reductionFactor: z.number().gt(1).optional(),
  stopLastTrials: z.boolean().optional(),
});
export type HyperBandSchedulerOptions = z.input<typeof optionsSchema>;

interface BracketTrial {
  time: number;
  score: number | undefined;
  live: boolean;
}
interface Bracket {
  s: number;
  capacity: number;
  /** Resource (timeAttr) every live trial must reach before the rung is decided. */
  milestone: number;
  trials: Record<string, BracketTrial>;
}

/**
 * Synchronous HyperBand (Li et al. 2017). Trials fill brackets s = sMax..0 of each band;
 * bracket s holds ceil((sMax+1)/(s+1) · η^s) trials starting at maxT · η^-s. A trial reaching
 * the rung's milestone is PAUSEd until every live trial of its bracket has; then the best
 * ⌊n/η⌋ (at least one) continue and the rest STOP (returned as `stopTrialIds` for paused ones).
 */
export class HyperBandScheduler implements TrialScheduler {
  readonly name = 'hyperband';
  readonly timeAttr: string;
  readonly maxT: number;
  readonly reductionFactor: number;
  readonly stopLastTrials: boolean;
  readonly sMax: number;
  private readonly target: MetricTarget;
  private brackets: Bracket[] = [];
  private trialBracket: Record<string, number> = {};
  private toUnpause: string[] = [];

  constructor(options: HyperBandSchedulerOptions = {}) {
    const o = parseConfig(optionsSchema, options, 'HyperBandScheduler options');
    this.timeAttr = o.timeAttr ?? 'trainingIteration';
    this.maxT = o.maxT ?? 81;
    this.reductionFactor = o.reductionFactor ?? 3;
    this.stopLastTrials = o.stopLastTrials ?? true;
    this.target = new MetricTarget('HyperBandScheduler', o.metric, o.mode);
    this.sMax = Math.max(0, Math.floor(Math.log(this.maxT) / Math.log(this.reductionFactor) + 1e-9));
  }

  /** Bracket layout of a band: [s, capacity, first milestone] (for inspection and tests). */
  bandLayout(): { s: number; capacity: number; milestone: number }[] {
    return Array.from({ length: this.sMax + 1 }, (_, i) => this.newBracket(this.sMax - i)).map(
      ({ s, capacity, milestone }) => ({
        s,
        capacity,
        milestone,
      }),
    );
  }

  private newBracket(s: number): Bracket {
    const eta = this.reductionFactor;
    return {
      s,
      capacity: Math.ceil(((this.sMax + 1) / (s + 1)) * eta ** s - 1e-9),
      milestone: Math.min(this.maxT, this.maxT * eta ** -s),
      trials: {},
    };
  }

  setSearchProperties(props: SchedulerProperties): void {
    this.target.fill(props);
  }

  onTrialAdd(trial: TrialView): void {
    this.target.require();
    if (trial.trialId in this.trialBracket) return;
    let current = this.brackets[this.brackets.length - 1];
    if (!current || Object.keys(current.trials).length >= current.capacity) {
      current = this.newBracket(current && current.s > 0 ? current.s - 1 : this.sMax);
      this.brackets.push(current);
    }
    current.trials[trial.trialId] = { time: 0, score: undefined, live: true };
    this.trialBracket[trial.trialId] = this.brackets.length - 1;
  }

  onTrialResult(trial: TrialView, result: TrialMetrics): SchedulerDecision {
    const bracket = this.brackets[this.trialBracket[trial.trialId]];
    const entry = bracket?.trials[trial.trialId];
    const t = timeOf(result, this.timeAttr);
    if (!bracket || !entry || t === undefined) return TrialDecision.Continue;
    entry.time = t;
    entry.score = this.target.score(result);
    if (t >= this.maxT && this.stopLastTrials) {
      entry.live = false;
      return this.withEffects(TrialDecision.Stop, this.maybeProcess(bracket));
    }
    if (t < bracket.milestone) return TrialDecision.Continue;
    const effects = this.maybeProcess(bracket);
    if (!effects) return TrialDecision.Pause;
    const survives = entry.live;
    return this.withEffects(survives ? TrialDecision.Continue : TrialDecision.Stop, effects, trial.trialId);
  }

  private withEffects(
    decision: TrialDecision,
    effects: SchedulerEffects | undefined,
    self?: string,
  ): SchedulerDecision {
    const stop = (effects?.stopTrialIds ?? []).filter((id) => id !== self);
    if (self) this.toUnpause = this.toUnpause.filter((id) => id !== self);
    return stop.length > 0 ? { decision, stopTrialIds: stop } : decision;
  }

  /** If every live trial reached the milestone, halve the bracket; returns the losers to stop. */
  private maybeProcess(bracket: Bracket): SchedulerEffects | undefined {
    const live = Object.entries(bracket.trials).filter(([, e]) => e.live);
    if (live.length === 0 || live.some(([, e]) => e.time < bracket.milestone)) return undefined;
    const ranked = live.sort(
      ([, a], [, b]) => (b.score ?? Number.NEGATIVE_INFINITY) - (a.score ?? Number.NEGATIVE_INFINITY),
    );
    const keep = Math.max(1, Math.floor(ranked.length / this.reductionFactor));
    const losers = ranked.slice(keep).map(([id]) => id);
    for (const id of losers) bracket.trials[id].live = false;
    bracket.milestone = Math.min(this.maxT, bracket.milestone * this.reductionFactor);
    const winners = ranked.slice(0, keep).map(([id]) => id);
    this.toUnpause.push(...winners.filter((id) => !this.toUnpause.includes(id)));
    this.toUnpause = this.toUnpause.filter((id) => !losers.includes(id));
    return { stopTrialIds: losers };
  }

  private leave(trialId: string): SchedulerEffects | undefined {
    const bracket = this.brackets[this.trialBracket[trialId]];
    const entry = bracket?.trials[trialId];
    if (!bracket || !entry) return undefined;
    entry.live = false;
    this.toUnpause = this.toUnpause.filter((id) => id !== trialId);
    return this.maybeProcess(bracket);
  }

  onTrialComplete(trial: TrialView, _result: TrialMetrics | undefined): SchedulerEffects | undefined {
    return this.leave(trial.trialId);
  }

  onTrialError(trial: TrialView): SchedulerEffects | undefined {
    return this.leave(trial.trialId);
  }

  chooseTrialToRun(trials: readonly TrialView[]): TrialView | undefined {
    const pending = trials.find((t) => t.status === TrialStatus.Pending);
    if (pending) return pending;
    const paused = trials.find((t) => t.status === TrialStatus.Paused && this.toUnpause.includes(t.trialId));
    if (paused) this.toUnpause = this.toUnpause.filter((id) => id !== paused.trialId);
    return paused;
  }

  save(): unknown {
    return { brackets: this.brackets, trialBracket: this.trialBracket, toUnpause: this.toUnpause };
  }

  restore(data: unknown): void {
    const state = data as { brackets: Bracket[]; trialBracket: Record<string, number>; toUnpause: string[] };
    this.brackets = state.brackets;
    this.trialBracket = state.trialBracket;
    this.toUnpause = state.toUnpause;
  }
}
