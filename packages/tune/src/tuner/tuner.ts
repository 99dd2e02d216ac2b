import { availableParallelism, homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, isInitialized } from '@manta/core';
import { parseConfig } from '@manta/core/internal';
import { DataParallelTrainer, joinUri, storageFor } from '@manta/train';
import { ActorTrialExecutor, trainableMeta } from '../actor/index.ts';
import { ExperimentNotFoundError, ExperimentStateError } from '../errors/index.ts';
import { LocalTrialExecutor, type Trainable, type TrialExecutor, trainableName } from '../executor/index.ts';
import { createScheduler, FIFOScheduler, type TrialScheduler, TrialStatus } from '../schedulers/index.ts';
import {
  BasicVariantGenerator,
  createSearcher,
  deserializeSpace,
  findDomains,
  type ParamSpace,
  type Searcher,
  serializeSpace,
  type TrialMetrics,
  validateParamSpace,
} from '../search/index.ts';
import { isRemotePath, LocalTuneStorage, SyncedTuneStorage, type TuneStorage } from '../storage/index.ts';
import { TrainerTrialExecutor } from '../train_trial/index.ts';
import {
  type RestoreOptions,
  type RunConfig,
  restoreOptionsSchema,
  type TunerOptions,
  tunerOptionsSchema,
} from './config.ts';
import { type ControllerResume, TuneController } from './controller.ts';
import { EXPERIMENT_STATE_FILE, readExperimentState } from './experiment_state.ts';
import { CliReporter, type ProgressReporter } from './progress.ts';
import { errorFromInfo, type Result, ResultGrid } from './result_grid.ts';
import type { ControllerSettings } from './settings.ts';
import type { TrialRecord } from './trial.ts';
import { TrialFiles } from './trial_files.ts';

export interface FitOptions {
  /** Abort to interrupt the sweep: running trials stop, state is saved, fit() rejects with TuneInterruptedError. */
  readonly signal?: AbortSignal;
}

interface TunerParts {
  settings: ControllerSettings;
  storage: TuneStorage;
  executor: TrialExecutor;
  searcher: Searcher;
  scheduler: TrialScheduler;
  reporter: ProgressReporter | undefined;
  /** The executor was made here (not passed in): fit() shuts it down at the end. */
  ownsExecutor: boolean;
  resume?: ControllerResume;
}

/** What a Tuner tunes: a trainable (function or class) or a DataParallelTrainer. */
export type Tunable = Trainable | DataParallelTrainer;

/**
 * The executor for a tunable: a trainer's trials run its fit() from here; a trainable declared
 * with trainable(import.meta.url, fn) runs on cluster actors when Manta is initialized; anything
 * else runs in this process.
 */
function defaultExecutor(tunable: Tunable, reuseActors: boolean): TrialExecutor {
  if (tunable instanceof DataParallelTrainer) return new TrainerTrialExecutor(tunable);
  if (isInitialized() && trainableMeta(tunable).descriptor)
    return new ActorTrialExecutor(tunable, { reuseInstances: reuseActors });
  return new LocalTrialExecutor(tunable, { reuseActors });
}

function nameOf(tunable: Tunable): string {
  return tunable instanceof DataParallelTrainer ? 'DataParallelTrainer' : trainableName(tunable);
}

function storageAt(experimentPath: string): TuneStorage {
  return isRemotePath(experimentPath)
    ? SyncedTuneStorage.create(experimentPath)
    : new LocalTuneStorage(experimentPath);
}

function timestamp(): string {
  return new Date()
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace('T', '_')
    .replaceAll(':', '-');
}

function reporterFor(
  run: Pick<RunConfig, 'verbose' | 'progressReporter'> | undefined,
): ProgressReporter | undefined {
  if (run?.progressReporter) return run.progressReporter;
  const verbose = run?.verbose ?? 1;
  return verbose === 0 ? undefined : new CliReporter({ perResult: verbose === 2 });
}

function resolveSearcher(value: string | Searcher | undefined): Searcher | undefined {
  return typeof value === 'string' ? createSearcher(value) : value;
}
function resolveScheduler(value: string | TrialScheduler | undefined): TrialScheduler | undefined {
  return typeof value === 'string' ? createScheduler(value) : value;
}

const UNFINISHED: ReadonlySet<string> = new Set([
  TrialStatus.Running,
  TrialStatus.Pending,
  TrialStatus.Paused,
]);

/**
 * experiment_state.json is written a little after each change; result.json is durable before a
 * trial goes on past a checkpoint. A trial that got further than the saved state says takes its
 * iteration and latest complete checkpoint from its results.
 */
async function catchUp(trial: TrialRecord, results: TrialMetrics[], storage: TuneStorage): Promise<void> {
  const last = results[results.length - 1];
  if (!last || Number(last.trainingIteration) <= trial.iteration) return;
  trial.iteration = Number(last.trainingIteration);
  trial.lastResult = last;
  trial.timeTotalS = Number(last.timeTotalS ?? trial.timeTotalS);
  for (let i = results.length - 1; i >= 0; i--) {
    const name = results[i].checkpointDirName;
    const iteration = Number(results[i].trainingIteration);
    if (typeof name !== 'string' || iteration <= trial.checkpointIteration) continue;
    const path = `${trial.dirName}/${name}`;
    if (!(await storage.isCheckpointComplete(path))) continue;
    trial.checkpoint = path;
    trial.checkpointIteration = iteration;
    if (!trial.checkpoints.includes(path)) trial.checkpoints.push(path);
    const index = Number(/_(\d+)$/.exec(name)?.[1] ?? -1);
    trial.nextCheckpointIndex = Math.max(trial.nextCheckpointIndex, index + 1);
    break;
  }
}

/**
 * Hyperparameter tuning, as Ray Tune's Tuner: `new Tuner(trainable, { paramSpace, tuneConfig,
 * runConfig }).fit()` runs the sweep and returns a ResultGrid; `Tuner.restore(path, trainable)`
 * continues an interrupted one.
 */
export class Tuner {
  private controller: TuneController | undefined;
  private readonly parts: TunerParts;
  /** Set only while Tuner.restore constructs its instance. */
  private static restoring: TunerParts | undefined;

  constructor(trainable: Tunable, options: TunerOptions = {}) {
    this.parts = Tuner.restoring ?? Tuner.build(trainable, options);
  }

  private static build(trainable: Tunable, options: TunerOptions): TunerParts {
    if (typeof trainable !== 'function' && !(trainable instanceof DataParallelTrainer)) {
      throw new ConfigError(
        'Tuner needs a trainable: a function (config) => ..., a class with step(), or a DataParallelTrainer',
        ['trainable'],
      );
    }
    const o = parseConfig(tunerOptionsSchema, options, 'Tuner options');
    const paramSpace: ParamSpace = o.paramSpace ?? {};
    validateParamSpace(paramSpace);
    const tc = o.tuneConfig ?? {};
    const rc = o.runConfig ?? {};
    if ((tc.metric === undefined) !== (tc.mode === undefined)) {
      throw new ConfigError('tuneConfig.metric and tuneConfig.mode go together: set both or neither', [
        'tuneConfig.metric',
        'tuneConfig.mode',
      ]);
    }
    const name = nameOf(trainable);
    const experimentName = rc.name ?? `${name}_${timestamp()}`;
    const storagePath = rc.storagePath ?? join(homedir(), 'manta_results');
    const givenSearcher = resolveSearcher(tc.searchAlg);
    const searcher = givenSearcher ?? new BasicVariantGenerator();
    const scheduler = resolveScheduler(tc.scheduler) ?? new FIFOScheduler();
    const numSamples = tc.numSamples ?? 1;
    const maxConcurrentTrials = tc.maxConcurrentTrials ?? Math.max(1, availableParallelism());
    searcher.setSearchProperties({ metric: tc.metric, mode: tc.mode, paramSpace, seed: tc.seed, numSamples });
    scheduler.setSearchProperties({ metric: tc.metric, mode: tc.mode });
    const isVariant = searcher instanceof BasicVariantGenerator;
    const settings: ControllerSettings = {
      experimentName,
      trainableName: name,
      metric: tc.metric,
      mode: tc.mode,
      numSamples,
      maxConcurrentTrials,
      maxPendingTrials: isVariant ? Math.max(16, maxConcurrentTrials) : 1,
      capSuggestions: !isVariant,
      timeBudgetS: tc.timeBudgetS,
      seed: tc.seed,
      reuseActors: tc.reuseActors ?? false,
      stop: rc.stop,
      numToKeep: rc.checkpointConfig?.numToKeep,
      checkpointFrequency: rc.checkpointConfig?.checkpointFrequency ?? 0,
      checkpointAtEnd: rc.checkpointConfig?.checkpointAtEnd ?? false,
      maxFailures: rc.failureConfig?.maxFailures ?? 0,
      sampledKeys: findDomains(paramSpace).map((d) => d.path.join('.')),
      paramSpaceData: serializeSpace(paramSpace),
      trialNameCreator: tc.trialNameCreator,
      trialDirnameCreator: tc.trialDirnameCreator,
    };
    return {
      settings,
      storage: isRemotePath(storagePath)
        ? storageAt(joinUri(storagePath, experimentName))
        : storageAt(join(resolve(storagePath), experimentName)),
      executor: o.executor ?? defaultExecutor(trainable, settings.reuseActors),
      ownsExecutor: o.executor === undefined,
      searcher,
      scheduler,
      reporter: reporterFor(rc),
    };
  }

  /** Where the experiment folder is. */
  get experimentPath(): string {
    return this.parts.storage.experimentPath;
  }

  /** Run (or continue) the sweep; resolves with every trial's result. */
  async fit(options: FitOptions = {}): Promise<ResultGrid> {
    const p = this.parts;
    this.controller ??= new TuneController(
      p.settings,
      p.storage,
      p.executor,
      p.searcher,
      p.scheduler,
      p.reporter,
      p.resume,
    );
    try {
      await this.controller.run(options.signal);
    } finally {
      if (p.ownsExecutor) await p.executor.shutdown();
      // Remote experiments: everything is uploaded and the local staging folder goes away.
      if (p.storage.close) await p.storage.close();
      else await p.storage.flush?.();
    }
    return this.results();
  }

  /** The results so far (after fit, or of a restored experiment). */
  async results(): Promise<ResultGrid> {
    const trials = this.controller?.trials ?? this.parts.resume?.trials ?? [];
    const storage = this.parts.storage;
    const remote = isRemotePath(storage.experimentPath);
    const results: Result[] = [];
    for (const t of trials) {
      let checkpoint: string | undefined;
      if (t.checkpoint)
        checkpoint = remote
          ? joinUri(storage.experimentPath, t.checkpoint)
          : await storage.localCheckpointDir(t.checkpoint);
      results.push({
        trialId: t.trialId,
        status: t.status,
        config: t.config,
        metrics: t.lastResult,
        metricsHistory: t.history,
        checkpoint,
        path: remote ? joinUri(storage.experimentPath, t.dirName) : join(storage.experimentPath, t.dirName),
        error: t.error ? errorFromInfo(t.trialId, t.error) : undefined,
      });
    }
    return new ResultGrid(results, storage.experimentPath, {
      metric: this.parts.settings.metric,
      mode: this.parts.settings.mode,
    });
  }

  static async canRestore(path: string): Promise<boolean> {
    if (isRemotePath(path)) {
      const remote = storageFor(path);
      try {
        return await remote.exists(EXPERIMENT_STATE_FILE);
      } finally {
        await remote.close();
      }
    }
    return (await readExperimentState(new LocalTuneStorage(path))) !== undefined;
  }

  /**
   * Continue the experiment at `path`: finished trials are kept (not re-run), unfinished ones
   * resume from their latest checkpoint, errored ones stay errored unless resumeErrored
   * (from their checkpoint) or restartErrored (from scratch); searcher and scheduler state
   * are restored.
   */
  static async restore(path: string, trainable: Tunable, options: RestoreOptions = {}): Promise<Tuner> {
    const o = parseConfig(restoreOptionsSchema, options, 'Tuner.restore options');
    const storage = isRemotePath(path) ? await SyncedTuneStorage.download(path) : new LocalTuneStorage(path);
    const state = await readExperimentState(storage);
    if (!state) throw new ExperimentNotFoundError(storage.experimentPath);
    if (state.version !== 1)
      throw new ExperimentStateError(
        storage.experimentPath,
        `Unknown experiment state version ${state.version}`,
      );

    let paramSpace: ParamSpace;
    if (o.paramSpace) paramSpace = o.paramSpace;
    else if (state.paramSpace !== null && state.paramSpace !== undefined)
      paramSpace = deserializeSpace(state.paramSpace);
    else {
      throw new ExperimentStateError(
        storage.experimentPath,
        'The param space held functions (sampleFrom) and was not saved; pass paramSpace to Tuner.restore',
      );
    }
    validateParamSpace(paramSpace);
    const searcher =
      resolveSearcher(o.tuneConfig?.searchAlg) ??
      (state.searcher.name === 'variant' ? new BasicVariantGenerator() : undefined);
    const scheduler =
      resolveScheduler(o.tuneConfig?.scheduler) ??
      (state.scheduler.name === 'fifo' ? new FIFOScheduler() : undefined);
    if (!searcher || searcher.name !== state.searcher.name) {
      throw new ExperimentStateError(
        storage.experimentPath,
        `This experiment used searcher '${state.searcher.name}'; pass an equal one as tuneConfig.searchAlg to Tuner.restore` +
          (searcher ? ` (got '${searcher.name}')` : ''),
      );
    }
    if (!scheduler || scheduler.name !== state.scheduler.name) {
      throw new ExperimentStateError(
        storage.experimentPath,
        `This experiment used scheduler '${state.scheduler.name}'; pass an equal one as tuneConfig.scheduler to Tuner.restore` +
          (scheduler ? ` (got '${scheduler.name}')` : ''),
      );
    }
    const tc = state.tuneConfig;
    const rc = state.runConfig;
    searcher.setSearchProperties({
      metric: tc.metric,
      mode: tc.mode,
      paramSpace,
      seed: tc.seed,
      numSamples: tc.numSamples,
    });
    searcher.restore(state.searcher.state);
    scheduler.setSearchProperties({ metric: tc.metric, mode: tc.mode });
    scheduler.restore(state.scheduler.state);

    const files = new TrialFiles(storage);
    const resumeUnfinished = o.resumeUnfinished ?? true;
    const trials: TrialRecord[] = [];
    for (const data of state.trials) {
      const trial: TrialRecord = { ...data, checkpoints: [...data.checkpoints], history: [] };
      const results = await files.adopt(trial);
      if (UNFINISHED.has(trial.status)) await catchUp(trial, results, storage);
      trial.history = results.filter((h) => Number(h.trainingIteration) <= trial.iteration);
      if (trial.status === TrialStatus.Error && o.restartErrored) {
        Object.assign(trial, {
          status: TrialStatus.Pending,
          lastResult: undefined,
          iteration: 0,
          timeTotalS: 0,
          checkpoint: undefined,
          checkpointIteration: 0,
          numFailures: 0,
          error: undefined,
          history: [],
        });
        await files.reset(trial);
      } else if (trial.status === TrialStatus.Error && o.resumeErrored) {
        Object.assign(trial, { status: TrialStatus.Pending, numFailures: 0, error: undefined });
      } else if (
        trial.status === TrialStatus.Running ||
        trial.status === TrialStatus.Pending ||
        trial.status === TrialStatus.Paused
      ) {
        if (!resumeUnfinished) trial.status = TrialStatus.Terminated;
        else if (trial.status === TrialStatus.Running) trial.status = TrialStatus.Pending;
      }
      trials.push(trial);
    }
    const isVariant = searcher instanceof BasicVariantGenerator;
    const settings: ControllerSettings = {
      experimentName: state.name,
      trainableName: state.trainableName,
      metric: tc.metric,
      mode: tc.mode,
      numSamples: tc.numSamples,
      maxConcurrentTrials: tc.maxConcurrentTrials,
      maxPendingTrials: isVariant ? Math.max(16, tc.maxConcurrentTrials) : 1,
      capSuggestions: !isVariant,
      timeBudgetS: tc.timeBudgetS,
      seed: tc.seed,
      reuseActors: tc.reuseActors,
      stop: o.runConfig?.stop ?? rc.stop,
      numToKeep: rc.checkpointConfig.numToKeep,
      checkpointFrequency: rc.checkpointConfig.checkpointFrequency,
      checkpointAtEnd: rc.checkpointConfig.checkpointAtEnd,
      maxFailures: rc.maxFailures,
      sampledKeys: findDomains(paramSpace).map((d) => d.path.join('.')),
      paramSpaceData: serializeSpace(paramSpace),
      trialNameCreator: undefined,
      trialDirnameCreator: undefined,
    };
    Tuner.restoring = {
      settings,
      storage,
      executor: o.executor ?? defaultExecutor(trainable, tc.reuseActors),
      ownsExecutor: o.executor === undefined,
      searcher,
      scheduler,
      reporter: reporterFor(o.runConfig),
      resume: {
        runId: state.runId,
        createdAt: state.createdAt,
        trialCounter: state.trialCounter,
        searcherFinished: state.searcher.finished,
        trials,
      },
    };
    try {
      return new Tuner(trainable);
    } finally {
      Tuner.restoring = undefined;
    }
  }
}
