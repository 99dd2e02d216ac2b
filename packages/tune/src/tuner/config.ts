import { z } from 'zod';
import type { TrialExecutor } from '../executor/index.ts';
import type { TrialScheduler } from '../schedulers/index.ts';
import type { Searcher, TrialConfig, TrialMetrics } from '../search/index.ts';
import { isStopper, type Stopper } from '../stoppers/index.ts';
import type { ProgressReporter } from './progress.ts';

/** What name creators see of a trial. */
export interface TrialNaming {
  readonly trialId: string;
  readonly index: number;
  readonly config: Readonly<TrialConfig>;
  readonly experimentTag: string;
  readonly trainableName: string;
}

const fn = <T>(what: string) => z.custom<T>((v) => typeof v === 'function', { message: `expected ${what}` });
const searcherLike = z.union([
  z.string(),
  z.custom<Searcher>(
    (v) => typeof v === 'object' && v !== null && typeof (v as Searcher).suggest === 'function',
    {
      message: 'expected a Searcher (an object with suggest()) or a searcher name',
    },
  ),
]);
const schedulerLike = z.union([
  z.string(),
  z.custom<TrialScheduler>(
    (v) => typeof v === 'object' && v !== null && typeof (v as TrialScheduler).onTrialResult === 'function',
    { message: 'expected a TrialScheduler or a scheduler name' },
  ),
]);

export const tuneConfigSchema = z.strictObject({
  metric: z.string().min(1).optional(),
  mode: z.enum(['min', 'max']).optional(),
  /** Samples of the space (each repeats the full grid); -1: until the time budget ends. */
  numSamples: z.number().int().min(-1).optional(),
  maxConcurrentTrials: z.number().int().min(1).optional(),
  searchAlg: searcherLike.optional(),
  scheduler: schedulerLike.optional(),
  timeBudgetS: z.number().positive().optional(),
  reuseActors: z.boolean().optional(),
  trialNameCreator: fn<(trial: TrialNaming) => string>('a function (trial) => string').optional(),
  trialDirnameCreator: fn<(trial: TrialNaming) => string>('a function (trial) => string').optional(),
  seed: z.union([z.number(), z.string()]).optional(),
});
export type TuneConfig = z.input<typeof tuneConfigSchema>;

export const checkpointConfigSchema = z.strictObject({
  /** Keep only the newest N checkpoints of each trial. */
  numToKeep: z.number().int().min(1).optional(),
  /** Class trainables: save every N steps (0: never). */
  checkpointFrequency: z.number().int().min(0).optional(),
  /** Class trainables: save when the trial ends. */
  checkpointAtEnd: z.boolean().optional(),
});

export type StopFn = (trialId: string, result: TrialMetrics) => boolean;
export const runConfigSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[^/\\]+$/, 'a folder name without slashes')
    .optional(),
  storagePath: z.string().min(1).optional(),
  /** Stop a trial when result[key] >= value for any key, when the function says so, or per a Stopper. */
  stop: z
    .union([
      z.custom<Stopper>(isStopper, { message: 'expected a Stopper' }),
      z.record(z.string(), z.number()),
      fn<StopFn>('a function (trialId, result) => boolean'),
    ])
    .optional(),
  checkpointConfig: checkpointConfigSchema.optional(),
  failureConfig: z.strictObject({ maxFailures: z.number().int().min(-1).optional() }).optional(),
  /** 0: silent, 1: status table and summary (default), 2: also a line per result. */
  verbose: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
  progressReporter: z
    .custom<ProgressReporter>(
      (v) => typeof v === 'object' && v !== null && typeof (v as ProgressReporter).update === 'function',
    )
    .optional(),
});
export type RunConfig = z.input<typeof runConfigSchema>;

export const tunerOptionsSchema = z.strictObject({
  paramSpace: z.record(z.string(), z.unknown()).optional(),
  tuneConfig: tuneConfigSchema.optional(),
  runConfig: runConfigSchema.optional(),
  /** Where trials run; defaults to a LocalTrialExecutor over the trainable (in this process). */
  executor: z
    .custom<TrialExecutor>(
      (v) => typeof v === 'object' && v !== null && typeof (v as TrialExecutor).start === 'function',
    )
    .optional(),
});
export type TunerOptions = z.input<typeof tunerOptionsSchema>;

export const restoreOptionsSchema = z.strictObject({
  /** Continue trials that were pending, running or paused (default true). */
  resumeUnfinished: z.boolean().optional(),
  /** Continue errored trials from their latest checkpoint (default false). */
  resumeErrored: z.boolean().optional(),
  /** Re-run errored trials from scratch (default false). */
  restartErrored: z.boolean().optional(),
  /** Needed when the original space held sampleFrom functions (they cannot be saved). */
  paramSpace: z.record(z.string(), z.unknown()).optional(),
  /** The searcher/scheduler objects, when they are not the defaults (their state is restored into them). */
  tuneConfig: z
    .strictObject({ searchAlg: searcherLike.optional(), scheduler: schedulerLike.optional() })
    .optional(),
  runConfig: runConfigSchema.pick({ verbose: true, progressReporter: true, stop: true }).partial().optional(),
  executor: tunerOptionsSchema.shape.executor,
});
export type RestoreOptions = z.input<typeof restoreOptionsSchema>;
