import { ConfigError } from '@manta/core';
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import { createRng, type Rng, type TrialConfig, type TrialMetrics } from '../search/index.ts';
import { chooseFifo } from './fifo.ts';
import { MetricTarget, schedulerTargetOptions, timeOf } from './metric.ts';
import { explore, type Mutations, mutationProblems } from './pbt_explore.ts';
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
    perturbationInterval: z.number().positive().optional(),
    burnInPeriod: z.number().min(0).optional(),
    hyperparamMutations: z.record(z.string(), z.unknown()).optional(),
    quantileFraction: z.number().min(0).max(0.5).optional(),
    resampleProbability: z.number().min(0).max(1).optional(),
    perturbationFactors: z.array(z.number().positive()).min(1).optional(),
    customExploreFn: z
      .custom<(config: TrialConfig) => TrialConfig>((v) => typeof v === 'function')
      .optional(),
    /** Fail when a result lacks the time attribute or metric (default true). */
    requireAttrs: z.boolean().optional(),
    seed: z.union([z.number(), z.string()]).optional(),
  })
  .refine((o) => Object.keys(o.hyperparamMutations ?? {}).length > 0 || o.customExploreFn !== undefined, {
    message: 'give hyperparamMutations or customExploreFn',
    path: ['hyperparamMutations'],
  });
export type PopulationBasedTrainingOptions = z.input<typeof optionsSchema>;

interface TrialState {
  lastScore: number | undefined;
  lastCheckpoint: string | undefined;
  lastPerturbationTime: number;
  done: boolean;
  /** The trial's config as last seen: a donor's config is the base of the explored one. */
  config: Readonly<TrialConfig>;
}

/**
 * Population Based Training (Jaderberg et al. 2017), asynchronous as Ray's default. Every
 * `perturbationInterval` of a trial's `timeAttr`, a trial in the bottom `quantileFraction`
 * exploits one in the top: the decision is PAUSE with `exploit` = {donorTrialId, checkpoint,
 * newConfig}; the controller clones the donor's checkpoint and restarts the trial with the
 * explored config.
 */
export class PopulationBasedTraining implements TrialScheduler {
  readonly name = 'pbt';
  readonly timeAttr: string;
  readonly perturbationInterval: number;
  readonly burnInPeriod: number;
  readonly quantileFraction: number;
  readonly resampleProbability: number;
  readonly perturbationFactors: readonly number[];
  readonly requireAttrs: boolean;
  private readonly mutations: Mutations;
  private readonly customExploreFn: ((config: TrialConfig) => TrialConfig) | undefined;
  private readonly target: MetricTarget;
  private rng: Rng;
  private state: Record<string, TrialState> = {};
  private numPerturbations = 0;

  constructor(options: PopulationBasedTrainingOptions) {
    const o = parseConfig(optionsSchema, options ?? {}, 'PopulationBasedTraining options');
    const problems = mutationProblems(o.hyperparamMutations ?? {});
    if (problems.length > 0)
      throw new ConfigError(`Invalid PopulationBasedTraining options:\n  ${problems.join('\n  ')}`, problems);
    this.timeAttr = o.timeAttr ?? 'trainingIteration';
    this.perturbationInterval = o.perturbationInterval ?? 10;
    this.burnInPeriod = o.burnInPeriod ?? 0;
    this.quantileFraction = o.quantileFraction ?? 0.25;
    this.resampleProbability = o.resampleProbability ?? 0.25;
    this.perturbationFactors = o.perturbationFactors ?? [1.2, 0.8];
    this.requireAttrs = o.requireAttrs ?? true;
    this.mutations = o.hyperparamMutations ?? {};
    this.customExploreFn = o.customExploreFn;
    this.target = new MetricTarget('PopulationBasedTraining', o.metric, o.mode);
    this.rng = createRng(o.seed ?? 0);
  }

  /** How many exploits this scheduler has decided. */
  get perturbations(): number {
    return this.numPerturbations;
  }

  setSearchProperties(props: SchedulerProperties): void {
    this.target.fill(props);
  }

  onTrialAdd(trial: TrialView): void {
    this.target.require();
    this.state[trial.trialId] ??= {
      lastScore: undefined,
      lastCheckpoint: undefined,
      lastPerturbationTime: 0,
      done: false,
      config: trial.config,
    };
    this.state[trial.trialId].config = trial.config;
  }

  onTrialResult(trial: TrialView, result: TrialMetrics): SchedulerDecision {
    const t = timeOf(result, this.timeAttr);
    const score = this.target.score(result);
    if (t === undefined || score === undefined) {
      if (!this.requireAttrs) return TrialDecision.Continue;
      throw new ConfigError(
        `PopulationBasedTraining: trial ${trial.trialId} reported a result without '${this.timeAttr}' or '${this.target.metric}' ` +
          `(keys: ${Object.keys(result).join(', ')}); report them or set requireAttrs: false`,
      );
    }
    this.onTrialAdd(trial);
    const state = this.state[trial.trialId];
    if (t < this.burnInPeriod) return TrialDecision.Continue;
    if (t - state.lastPerturbationTime < this.perturbationInterval) return TrialDecision.Continue;
    state.lastScore = score;
    state.lastPerturbationTime = t;
    // Ray keeps a checkpoint only for trials in the top quantile at that moment, so an early
    // donor may have none; keeping every trial's checkpoint of its scored step pairs each
    // score with the weights that earned it.
    state.lastCheckpoint = trial.checkpoint;
    const [lower, upper] = this.quantiles();
    if (!lower.includes(trial.trialId)) return TrialDecision.Continue;
    const donors = upper.filter((id) => id !== trial.trialId && this.state[id].lastCheckpoint !== undefined);
    if (donors.length === 0) return TrialDecision.Continue;
    const donorTrialId = donors[this.rng.int(donors.length)];
    let newConfig = explore(
      this.state[donorTrialId].config as TrialConfig,
      this.mutations,
      { resampleProbability: this.resampleProbability, perturbationFactors: this.perturbationFactors },
      this.rng,
    );
    if (this.customExploreFn) newConfig = this.customExploreFn(newConfig);
    this.numPerturbations += 1;
    return {
      decision: TrialDecision.Pause,
      exploit: { donorTrialId, checkpoint: this.state[donorTrialId].lastCheckpoint as string, newConfig },
    };
  }

  private quantiles(): [string[], string[]] {
    const scored = Object.entries(this.state)
      .filter(([, s]) => s.lastScore !== undefined && !s.done)
      .sort(([, a], [, b]) => (a.lastScore as number) - (b.lastScore as number))
      .map(([id]) => id);
    if (scored.length <= 1) return [[], []];
    let n = Math.ceil(scored.length * this.quantileFraction);
    if (n > scored.length / 2) n = Math.floor(scored.length / 2);
    return [scored.slice(0, n), scored.slice(scored.length - n)];
  }

  onTrialComplete(trial: TrialView): SchedulerEffects | undefined {
    if (this.state[trial.trialId]) this.state[trial.trialId].done = true;
    return undefined;
  }

  onTrialError(trial: TrialView): SchedulerEffects | undefined {
    return this.onTrialComplete(trial);
  }

  chooseTrialToRun(trials: readonly TrialView[]): TrialView | undefined {
    return chooseFifo(trials);
  }

  save(): unknown {
    return { state: this.state, numPerturbations: this.numPerturbations, rng: this.rng.save() };
  }

  restore(data: unknown): void {
    const saved = data as { state: Record<string, TrialState>; numPerturbations: number; rng: object };
    this.state = saved.state;
    this.numPerturbations = saved.numPerturbations;
    this.rng = createRng(undefined, saved.rng);
  }
}
