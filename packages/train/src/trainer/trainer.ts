import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  get,
  isInitialized,
  kill,
  MantaError,
  type ObjectRef,
  type PlacementGroup,
  placementGroup,
} from '@manta/core';
import { currentRuntime, parseConfig, serve } from '@manta/core/internal';
import { Checkpoint, CheckpointManager, latestCheckpoint, runUri } from '../checkpoint/index.ts';
import { storageFor } from '../storage/index.ts';
import { type RunConfig, type ScalingConfig, type TrainerConfig, TrainerConfigSchema } from './config.ts';
import { decideOnFailure } from './failure-policy.ts';
import { ProgressLog } from './progress.ts';
import { reportSubject, type WorkerReport, WorkerReportSchema } from './reports.ts';
import type { Result } from './result.ts';
import { shardDatasets } from './shards.ts';
import { isTrainLoop, type TrainLoop } from './train-loop.ts';
import { TrainWorker, type TrainWorkerHandle } from './worker-actor.ts';

export class TrainingFailedError extends MantaError {
  readonly result: Result;
  constructor(message: string, result: Result, cause: unknown) {
    super('TRAINING_FAILED', message, { cause });
    this.result = result;
  }
}

/** The controller's states (Ray Train v2): each holds only its own data. */
type ControllerState =
  | { kind: 'starting'; attempt: number; checkpoint: Checkpoint | null }
  | { kind: 'running'; attempt: number; workers: TrainWorkerHandle[]; group: PlacementGroup }
  | { kind: 'restarting'; attempt: number; cause: unknown }
  | { kind: 'finished' }
  | { kind: 'errored'; error: unknown };

/**
 * Runs a training loop on `scalingConfig.numWorkers` workers (one actor process per rank,
 * gang-scheduled with a placement group), gradients averaged by the collective layer.
 * Worker failures restart every worker from the latest checkpoint, up to `maxFailures`.
 */
export class DataParallelTrainer {
  readonly loop: TrainLoop;
  readonly config: ReturnType<typeof parseTrainerConfig>;

  constructor(loop: TrainLoop, config: TrainerConfig) {
    if (!isTrainLoop(loop)) {
      throw new ConfigError(
        'DataParallelTrainer: the training loop must be declared with trainLoop(import.meta.url, fn) at the top level of a module, so worker processes can find it',
      );
    }
    this.loop = loop;
    this.config = parseTrainerConfig(config);
  }

  /** A copy with other settings (Tune uses this to give each trial its own config). */
  withOverrides(overrides: Partial<TrainerConfig>): DataParallelTrainer {
    return new DataParallelTrainer(this.loop, { ...this.config, ...overrides } as TrainerConfig);
  }

  /**
   * Runs the training to the end. `onReport` sees every report as it is recorded (Tune uses it
   * to feed its schedulers) and may answer 'STOP' to end the run early; `signal` aborts it.
   */
  async fit(options: FitOptions = {}): Promise<Result> {
    if (!isInitialized()) throw new MantaError('RUNTIME_STATE', 'call init() before trainer.fit()');
    const run = new TrainRun(this.loop, this.config, options);
    return run.execute();
  }
}

/** A TensorFlow.js trainer: the same, with the backend choice spelled out in its name. */
export class TensorflowTrainer extends DataParallelTrainer {}

function parseTrainerConfig(config: TrainerConfig) {
  const parsed = parseConfig(TrainerConfigSchema, config, 'trainer config');
  if (
    parsed.scalingConfig.useGpu &&
    parsed.scalingConfig.backend &&
    parsed.scalingConfig.backend !== 'tensorflow'
  ) {
    throw new ConfigError(
      `trainer config.scalingConfig: useGpu needs backend 'tensorflow', got '${parsed.scalingConfig.backend}'`,
    );
  }
  const resume = parsed.resumeFromCheckpoint;
  if (resume !== undefined && typeof resume !== 'string' && !(resume instanceof Checkpoint)) {
    throw new ConfigError('trainer config.resumeFromCheckpoint: expected a Checkpoint or a checkpoint URI');
  }
  return parsed;
}

class TrainRun {
  private readonly runId = randomBytes(6).toString('hex');
  private readonly name: string;
  private readonly runDir: string;
  private readonly scaling: ScalingConfig;
  private readonly runConfig: RunConfig;
  private readonly manager: CheckpointManager;
  private readonly history: Record<string, unknown>[] = [];
  private readonly progress: ProgressLog;
  private latest: Checkpoint | null = null;
  private nextCheckpointIndex = 0;
  private backend = 'unknown';
  private failures = 0;

  constructor(
    private readonly loop: TrainLoop,
    private readonly config: ReturnType<typeof parseTrainerConfig>,
    private readonly options: FitOptions = {},
  ) {
    this.runConfig = config.runConfig ?? {};
    this.scaling = config.scalingConfig;
    this.name =
      this.runConfig.name ??
      `train_${new Date()
        .toISOString()
        .replace(/[-:.TZ]/g, '')
        .slice(0, 14)}`;
    const storagePath = this.runConfig.storagePath ?? `${process.env.HOME ?? '.'}/manta_results`;
    this.runDir = runUri(storagePath, this.name);
    this.manager = new CheckpointManager(this.runConfig.checkpointConfig ?? {});
    this.progress = new ProgressLog(this.name, storageFor(this.runDir), this.runConfig.verbose ?? true);
  }

  async execute(): Promise<Result> {
    const resume = this.config.resumeFromCheckpoint;
    const initial =
      typeof resume === 'string' ? Checkpoint.fromUri(resume) : ((resume as Checkpoint | undefined) ?? null);
    const existing = await latestCheckpoint(this.runDir);
    if (existing) this.nextCheckpointIndex = existing.index + 1;
    const subscription = serve(
      currentRuntime()!.nc,
      reportSubject(this.runId),
      WorkerReportSchema,
      currentRuntime()!.log,
      (m) => this.onReport(m),
    );
    let state: ControllerState = { kind: 'starting', attempt: 0, checkpoint: initial };
    const maxFailures = this.runConfig.failureConfig?.maxFailures ?? 0;
    try {
      while (state.kind !== 'finished' && state.kind !== 'errored') {
        state = await this.step(state, maxFailures);
      }
    } finally {
      subscription.unsubscribe();
      await this.reportsSettled();
    }
    const result = this.result(state.kind === 'errored' ? state.error : null);
    if (state.kind === 'errored') {
      const cause = state.error;
      throw new TrainingFailedError(
        `training run '${this.name}' failed: ${(cause as Error)?.message ?? cause}`,
        result,
        cause,
      );
    }
    return result;
  }

  /** One transition of the controller; the side effects happen here, decisions in the policy. */
  private async step(state: ControllerState, maxFailures: number): Promise<ControllerState> {
    switch (state.kind) {
      case 'starting': {
        const { workers, group } = await this.startWorkers(state.attempt, state.checkpoint);
        return { kind: 'running', attempt: state.attempt, workers, group };
      }
      case 'running': {
        try {
          await this.runLoop(state.workers);
          await this.stopWorkers(state.workers, state.group);
          return { kind: 'finished' };
        } catch (error) {
          await this.stopWorkers(state.workers, state.group);
          if (decideOnFailure(error, this.failures, maxFailures) === 'RAISE')
            return { kind: 'errored', error };
          return { kind: 'restarting', attempt: state.attempt + 1, cause: error };
        }
      }
      case 'restarting': {
        this.failures++;
        await this.reportsSettled();
        const latest = this.latest ?? (await latestCheckpoint(this.runDir))?.checkpoint ?? null;
        process.stderr.write(
          `[${this.name}] worker failure (${(state.cause as Error)?.message ?? state.cause}); restart ${this.failures} from ${latest?.uri ?? 'the beginning'}\n`,
        );
        return { kind: 'starting', attempt: state.attempt, checkpoint: latest ?? this.initialCheckpoint() };
      }
      default:
        return state;
    }
  }

  private initialCheckpoint(): Checkpoint | null {
    const resume = this.config.resumeFromCheckpoint;
    return typeof resume === 'string'
      ? Checkpoint.fromUri(resume)
      : ((resume as Checkpoint | undefined) ?? null);
  }

  private async startWorkers(attempt: number, checkpoint: Checkpoint | null) {
    const n = this.scaling.numWorkers;
    const perWorker = { CPU: 1, ...(this.scaling.resourcesPerWorker ?? {}) } as Record<string, number>;
    if (this.scaling.useGpu && perWorker.GPU === undefined) perWorker.GPU = 1;
    const group = await placementGroup(
      Array.from({ length: n }, () => ({ ...perWorker })),
      { strategy: this.scaling.placementStrategy ?? 'PACK' },
    );
    const nodeIds = await group.ready();
    const nodeOrder = [...new Set(nodeIds)];
    const workers: TrainWorkerHandle[] = [];
    for (let rank = 0; rank < n; rank++) {
      const { GPU, CPU, ...custom } = perWorker;
      workers.push(
        await TrainWorker.options({
          numCpus: CPU,
          numGpus: GPU,
          resources: custom,
          placementGroup: group.bundle(rank),
        }).remote(),
      );
    }
    const setups = await get(
      workers.map((worker, rank) =>
        worker.setup.remote({
          runId: this.runId,
          attempt,
          context: {
            worldRank: rank,
            worldSize: n,
            localRank: nodeIds.slice(0, rank).filter((id) => id === nodeIds[rank]).length,
            localWorldSize: nodeIds.filter((id) => id === nodeIds[rank]).length,
            nodeRank: nodeOrder.indexOf(nodeIds[rank]),
            experimentName: this.name,
          },
          backend: this.scaling.backend,
          useGpu: this.scaling.useGpu ?? false,
          runUri: this.runDir,
          nextCheckpointIndex: this.nextCheckpointIndex,
          checkpointUri: checkpoint?.uri,
          collectiveTimeoutMs: this.config.collectiveTimeoutMs ?? 30_000,
        }),
      ),
    );
    this.backend = setups[0].backend;
    return { workers, group };
  }

  /** Runs the loop on every worker; the first failure of any rank fails the attempt at once. */
  private async runLoop(workers: TrainWorkerHandle[]): Promise<void> {
    const shards = shardDatasets(this.config.datasets ?? {}, workers.length);
    const refs: ObjectRef<void>[] = workers.map((worker, rank) =>
      worker.run.remote(this.loop.descriptor, this.config.trainLoopConfig ?? {}, shards[rank]),
    );
    const aborted = new Promise<void>((resolve) => {
      if (this.options.signal?.aborted) resolve();
      this.options.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([
      Promise.all(refs.map((ref) => get(ref))),
      this.reportFailure.promise,
      this.stopRequested.promise,
      aborted,
    ]);
    await this.reportsSettled();
    if (this.reportError) throw this.reportError;
  }

  private async stopWorkers(workers: TrainWorkerHandle[], group: PlacementGroup): Promise<void> {
    await Promise.all(workers.map((w) => kill(w).catch(() => undefined)));
    await group.remove().catch(() => undefined);
  }

  private pendingReports: Promise<void> = Promise.resolve();

  private onReport(report: WorkerReport): void {
    this.pendingReports = this.pendingReports
      .then(() => this.handleReport(report))
      .catch((error: unknown) => {
        this.reportError ??= error;
        this.reportFailure.reject(error);
      });
  }

  private reportError: unknown;
  /** Resolves when onReport answers STOP: the run ends early, as finished. */
  private readonly stopRequested = resolvable();
  /** Rejects when a report cannot be recorded (e.g. its metrics lack scoreAttribute): fails the run. */
  private readonly reportFailure = deferred();

  private async reportsSettled(): Promise<void> {
    await this.pendingReports;
  }

  private async handleReport(report: WorkerReport): Promise<void> {
    const row = { ...report.metrics, training_iteration: this.history.length + 1, timestamp: report.at };
    this.history.push(row);
    if (report.checkpointUri !== undefined) {
      const checkpoint = Checkpoint.fromUri(report.checkpointUri);
      this.latest = checkpoint;
      this.nextCheckpointIndex = Math.max(this.nextCheckpointIndex, (report.checkpointIndex ?? 0) + 1);
      await this.manager.register(checkpoint, report.metrics);
    }
    await this.progress.add(row);
    const decision = await this.options.onReport?.({
      metrics: row,
      checkpoint: report.checkpointUri !== undefined ? Checkpoint.fromUri(report.checkpointUri) : null,
    });
    if (decision === 'STOP') this.stopRequested.resolve();
  }

  private result(error: unknown): Result {
    const kept = this.manager.bestCheckpoints;
    return {
      metrics: this.history.at(-1) ?? {},
      metricsHistory: this.history,
      checkpoint: this.latest,
      bestCheckpoints: kept.map((t) => ({ checkpoint: t.checkpoint, metrics: t.metrics })),
      path: this.runDir,
      error: error ? (error instanceof Error ? error : new Error(String(error))) : null,
      backend: this.backend,
      failures: this.failures,
    };
  }
}

function deferred(): { promise: Promise<never>; reject(error: unknown): void } {
  let reject!: (error: unknown) => void;
  const promise = new Promise<never>((_, r) => {
    reject = r;
  });
  promise.catch(() => undefined);
  return { promise, reject };
}

function resolvable(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** Options of `fit()`. */
export interface FitOptions {
  onReport?(report: {
    metrics: Record<string, unknown>;
    checkpoint: Checkpoint | null;
  }): 'CONTINUE' | 'STOP' | undefined | Promise<'CONTINUE' | 'STOP' | undefined>;
  signal?: AbortSignal;
}
