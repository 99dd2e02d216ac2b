import { randomBytes } from 'node:crypto';
import { TuneInterruptedError } from '../errors/index.ts';
import {
  ReportReply,
  type StartTrialRequest,
  type TrialExecutor,
  type TrialExit,
  type TrialReport,
  type TrialSink,
  type TrialStorageInfo,
} from '../executor/index.ts';
import {
  type DecisionWithEffects,
  decisionOf,
  type ExploitInstruction,
  type SchedulerEffects,
  TrialDecision,
  type TrialScheduler,
  TrialStatus,
} from '../schedulers/index.ts';
import { type Searcher, Suggestion, type TrialConfig, type TrialMetrics } from '../search/index.ts';
import { isStopper } from '../stoppers/index.ts';
import { isRemotePath, STORAGE_TOKEN_FILE, type TuneStorage } from '../storage/index.ts';
import { type ExperimentState, ExperimentStateWriter } from './experiment_state.ts';
import type { ProgressReporter, ProgressSnapshot } from './progress.ts';
import type { ControllerSettings } from './settings.ts';
import {
  experimentTag,
  safeDirName,
  type TrialErrorInfo,
  type TrialRecord,
  toData,
  viewOf,
} from './trial.ts';
import { TrialFiles } from './trial_files.ts';

/** State carried over from a previous run (Tuner.restore). */
export interface ControllerResume {
  readonly runId: string;
  readonly createdAt: string;
  readonly trialCounter: number;
  readonly searcherFinished: boolean;
  readonly trials: TrialRecord[];
}

/** Trials shorter than this (ms) are started in batches where the executor can (batchSize). */
const SHORT_TRIAL_MS = 10;

const FINISHED: ReadonlySet<string> = new Set([TrialStatus.Terminated, TrialStatus.Error]);

function errorInfo(error: unknown): TrialErrorInfo {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: 'Error', message: String(error), stack: undefined };
}

/**
 * Drives a sweep: asks the searcher for configs, starts trials on the executor up to the
 * concurrency limit, feeds results to the scheduler and carries out its decisions, persists
 * experiment state on every change. Policies decide; this class acts.
 */
export class TuneController {
  readonly trials: TrialRecord[];
  private readonly byId = new Map<string, TrialRecord>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly files: TrialFiles;
  private readonly writer: ExperimentStateWriter;
  private readonly runId: string;
  private readonly createdAt: string;
  private trialCounter: number;
  private searcherFinished: boolean;
  private dirty = false;
  private wakeUp: (() => void) | undefined;
  private interrupted = false;
  private budgetExpired = false;
  private startedAt = Date.now();
  private readonly lastReportAt = new Map<string, number>();
  /** PENDING and PAUSED trials (the ones that may start), so filling a slot never scans every trial. */
  private readonly waiting = new Map<string, TrialRecord>();
  private pendingCount = 0;
  /** Concurrency slots in use: a slot runs one trial, or a batch of short ones in turn. */
  private busySlots = 0;
  /** Recent wall time per trial (ms, moving average), to tell short trials. */
  private trialMs: number | undefined;
  /** Trial folders being made ahead of the trial's start. */
  private readonly trialDirs = new Map<string, Promise<string>>();

  constructor(
    private readonly settings: ControllerSettings,
    private readonly storage: TuneStorage,
    private readonly executor: TrialExecutor,
    private readonly searcher: Searcher,
    private readonly scheduler: TrialScheduler,
    private readonly reporter: ProgressReporter | undefined,
    resume?: ControllerResume,
  ) {
    this.files = new TrialFiles(storage);
    // The state names results and checkpoints: the trial files go first.
    this.writer = new ExperimentStateWriter(storage, { beforeWrite: () => this.files.commit() });
    this.runId = resume?.runId ?? randomBytes(3).toString('hex').slice(0, 5);
    this.createdAt = resume?.createdAt ?? new Date().toISOString();
    this.trialCounter = resume?.trialCounter ?? 0;
    this.searcherFinished = resume?.searcherFinished ?? false;
    this.trials = resume?.trials ?? [];
    for (const t of this.trials) {
      this.byId.set(t.trialId, t);
      this.index(t, undefined);
    }
  }

  /** Keep the PENDING/PAUSED index in step with a trial's status. */
  private index(trial: TrialRecord, before: TrialStatus | undefined): void {
    const now = trial.status;
    if (before === TrialStatus.Pending) this.pendingCount -= 1;
    if (now === TrialStatus.Pending) this.pendingCount += 1;
    if (now === TrialStatus.Pending || now === TrialStatus.Paused) this.waiting.set(trial.trialId, trial);
    else this.waiting.delete(trial.trialId);
  }

  private setStatus(trial: TrialRecord, status: TrialStatus): void {
    const before = trial.status;
    if (before === status) return;
    trial.status = status;
    this.index(trial, before);
  }

  /** Run until every trial is finished (or the budget ends). Rejects with TuneInterruptedError on abort. */
  async run(signal?: AbortSignal): Promise<void> {
    this.interrupted = signal?.aborted ?? false;
    this.budgetExpired = false;
    this.startedAt = Date.now();
    const onAbort = () => {
      this.interrupted = true;
      this.wake();
    };
    signal?.addEventListener('abort', onAbort);
    const budget =
      this.settings.timeBudgetS === undefined
        ? undefined
        : setTimeout(() => {
            this.budgetExpired = true;
            this.wake();
          }, this.settings.timeBudgetS * 1000);
    try {
      this.persist();
      for (;;) {
        if (this.interrupted || this.budgetExpired) {
          for (const id of this.running.keys()) this.executor.stop(id);
          if (this.running.size === 0) break;
          await this.nextEvent();
          continue;
        }
        await this.fillSlots();
        if (this.running.size === 0) {
          if (this.dirty) {
            this.dirty = false;
            continue;
          }
          this.releaseStranded();
          break;
        }
        await this.nextEvent();
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (budget) clearTimeout(budget);
      this.persist();
      await this.writer.flush();
      this.reporter?.finish(this.snapshot());
    }
    if (this.interrupted)
      throw new TuneInterruptedError(this.storage.experimentPath, { cause: signal?.reason });
  }

  private wake(): void {
    this.dirty = true;
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  private async nextEvent(): Promise<void> {
    if (!this.dirty) await new Promise<void>((resolve) => (this.wakeUp = resolve));
    this.dirty = false;
  }

  // ---- starting trials -------------------------------------------------------------------

  private async fillSlots(): Promise<void> {
    while (this.busySlots < this.settings.maxConcurrentTrials && !this.interrupted && !this.budgetExpired) {
      await this.topUpPending();
      let candidates = [...this.waiting.values()].filter((t) => !this.running.has(t.trialId));
      const size = this.batchSize(candidates.length);
      const batch: TrialRecord[] = [];
      while (batch.length < size && candidates.length > 0) {
        const chosen = this.scheduler.chooseTrialToRun(candidates.map((t) => viewOf(t)));
        const trial = chosen && this.byId.get(chosen.trialId);
        if (!trial || !candidates.includes(trial)) break;
        batch.push(trial);
        candidates = candidates.filter((t) => t !== trial);
      }
      if (batch.length === 0) return;
      await this.startTrials(batch);
    }
  }

  private async topUpPending(): Promise<void> {
    const { maxPendingTrials, capSuggestions, numSamples } = this.settings;
    while (!this.searcherFinished) {
      if (this.pendingCount >= maxPendingTrials) return;
      if (capSuggestions && numSamples >= 0 && this.trialCounter >= numSamples) {
        this.searcherFinished = true;
        return;
      }
      const trialId = `${this.runId}_${String(this.trialCounter).padStart(5, '0')}`;
      const suggestion = this.searcher.suggest(trialId);
      if (suggestion === Suggestion.Finished) {
        this.searcherFinished = true;
        return;
      }
      if (suggestion === Suggestion.Wait) return;
      await this.addTrial(trialId, suggestion);
    }
  }

  private async addTrial(trialId: string, config: TrialConfig): Promise<void> {
    const index = this.trialCounter++;
    const { trainableName, sampledKeys, trialNameCreator, trialDirnameCreator } = this.settings;
    const tag = experimentTag(index, config, sampledKeys);
    const naming = { trialId, index, config, experimentTag: tag, trainableName };
    const trial: TrialRecord = {
      trialId,
      index,
      trialName: trialNameCreator ? trialNameCreator(naming) : `${trainableName}_${trialId}`,
      dirName: safeDirName(
        trialDirnameCreator ? trialDirnameCreator(naming) : `${trainableName}_${trialId}_${tag}`,
      ),
      experimentTag: tag,
      status: TrialStatus.Pending,
      config,
      lastResult: undefined,
      iteration: 0,
      timeTotalS: 0,
      checkpoint: undefined,
      checkpointIteration: 0,
      checkpoints: [],
      nextCheckpointIndex: 0,
      numFailures: 0,
      error: undefined,
      history: [],
    };
    this.trials.push(trial);
    this.byId.set(trialId, trial);
    this.index(trial, undefined);
    this.scheduler.onTrialAdd(viewOf(trial));
    this.files.writeParams(trial);
    this.trialDir(trial); // made while the trial waits for a slot
    this.changed();
  }

  private trialDir(trial: TrialRecord): Promise<string> {
    let dir = this.trialDirs.get(trial.trialId);
    if (!dir) {
      // Trials in other processes make their folder when they use it (see executor/local.ts).
      const path = this.executor.remoteTrials ? this.storage.localTrialPath?.(trial.dirName) : undefined;
      dir = path !== undefined ? Promise.resolve(path) : this.storage.localTrialDir(trial.dirName);
      dir.catch(() => this.trialDirs.delete(trial.trialId));
      this.trialDirs.set(trial.trialId, dir);
    }
    return dir;
  }

  /** Marks the trial RUNNING and builds what the executor needs to start it. */
  private async prepareStart(trial: TrialRecord): Promise<StartTrialRequest> {
    this.setStatus(trial, TrialStatus.Running);
    const usable =
      trial.checkpoint !== undefined && (await this.storage.isCheckpointComplete(trial.checkpoint));
    // Resume where the checkpoint was taken; results after it will be reported again.
    trial.iteration = usable ? trial.checkpointIteration : 0;
    trial.history = trial.history.filter((h) => Number(h.trainingIteration) <= trial.iteration);
    trial.lastResult = trial.history[trial.history.length - 1];
    const request = {
      trialId: trial.trialId,
      trialName: trial.trialName,
      experimentName: this.settings.experimentName,
      trialDir: await this.trialDir(trial),
      config: trial.config,
      checkpoint:
        usable && trial.checkpoint && !this.executor.remoteTrials
          ? await this.storage.localCheckpointDir(trial.checkpoint)
          : undefined,
      checkpointPath: usable ? trial.checkpoint : undefined,
      storage: await this.storageInfo(),
      decisionsPerResult: !this.streamed(),
      iteration: trial.iteration,
      checkpointFrequency: this.settings.checkpointFrequency,
      checkpointAtEnd: this.settings.checkpointAtEnd,
    };
    this.lastReportAt.set(trial.trialId, Date.now());
    return request;
  }

  /** Every result is answered CONTINUE (FIFO, no stop criteria): trials may stream results. */
  private streamed(): boolean {
    return this.scheduler.alwaysContinues === true && this.settings.stop === undefined;
  }

  private sinkInstance: TrialSink | undefined;

  private sink(): TrialSink {
    this.sinkInstance ??= {
      report: (id, report) => this.onReport(id, report),
      checkpoint: async (id, checkpoint) => {
        const t = this.byId.get(id);
        if (!t) return;
        if (typeof checkpoint === 'string') await this.persistCheckpoint(t, checkpoint);
        else this.recordStoredCheckpoint(t, checkpoint.stored);
      },
      nextCheckpointPath: (id) => {
        const t = this.byId.get(id);
        return t && this.checkpointPath(t, t.nextCheckpointIndex);
      },
      localCheckpoint: (path) => this.storage.localCheckpointDir(path),
    };
    return this.sinkInstance;
  }

  /**
   * How many trials the next free slot takes: one, or for short streamed trials a batch that
   * runs one after the other in one trial process (the executor's startBatch), so that a sweep
   * of trials much shorter than a message round trip is not paced by messages.
   */
  private batchSize(candidates: number): number {
    const max = this.executor.maxBatch ?? 1;
    if (max <= 1 || !this.executor.startBatch || !this.streamed()) return 1;
    if (this.trialMs === undefined || this.trialMs > SHORT_TRIAL_MS) return 1;
    const free = Math.max(1, this.settings.maxConcurrentTrials - this.busySlots);
    return Math.max(1, Math.min(max, Math.floor(candidates / free)));
  }

  /** Starts the trials in one concurrency slot (several: one after the other, see batchSize). */
  private async startTrials(trials: TrialRecord[]): Promise<void> {
    const requests: StartTrialRequest[] = [];
    for (const trial of trials) requests.push(await this.prepareStart(trial));
    const sink = this.sink();
    let exits: Promise<TrialExit>[];
    try {
      exits =
        requests.length > 1 && this.executor.startBatch
          ? this.executor.startBatch(requests, sink)
          : [this.executor.start(requests[0], sink)];
    } catch (error) {
      exits = requests.map(() => Promise.reject(error));
    }
    const started = performance.now();
    this.busySlots += 1;
    let left = trials.length;
    trials.forEach((trial, i) => {
      const done = exits[i]
        .catch((error: unknown): TrialExit => ({ kind: 'errored', error }))
        .then((exit) => this.onExit(trial, exit))
        .catch((error: unknown) => this.onExit(trial, { kind: 'errored', error }))
        .finally(() => {
          this.running.delete(trial.trialId);
          if (--left === 0) {
            this.busySlots -= 1;
            const perTrial = (performance.now() - started) / trials.length;
            this.trialMs = this.trialMs === undefined ? perTrial : 0.8 * this.trialMs + 0.2 * perTrial;
          }
          this.wake();
        });
      this.running.set(trial.trialId, done);
    });
    this.changed();
  }

  // ---- results and decisions -------------------------------------------------------------

  private async onReport(trialId: string, report: TrialReport): Promise<ReportReply> {
    const trial = this.byId.get(trialId);
    if (!trial || trial.status !== TrialStatus.Running) return ReportReply.Stop;
    const now = Date.now();
    const dt = (now - (this.lastReportAt.get(trialId) ?? now)) / 1000;
    this.lastReportAt.set(trialId, now);
    trial.iteration += 1;
    trial.timeTotalS += dt;
    const result: Record<string, unknown> = {
      ...report.metrics,
      trainingIteration: trial.iteration,
      timeThisIterS: dt,
      timeTotalS: trial.timeTotalS,
      timestamp: Math.floor(now / 1000),
      trialId,
      done: report.metrics.done === true,
    };
    if (report.checkpoint || report.storedCheckpoint) {
      const path = report.storedCheckpoint
        ? this.recordStoredCheckpoint(trial, report.storedCheckpoint)
        : await this.persistCheckpoint(trial, report.checkpoint as string);
      // As Ray's checkpoint_dir_name: restore finds the latest checkpoint from result.json too.
      result.checkpointDirName = path.slice(trial.dirName.length + 1);
    }
    trial.lastResult = result;
    trial.history.push(result);
    this.files.appendResult(trial, result);
    this.reporter?.result?.(trial, result);
    if (trial.status !== TrialStatus.Running) return ReportReply.Stop;
    this.searcher.onTrialResult(trialId, result);
    const byCriteria = this.meetsStop(trialId, result);
    const decision: DecisionWithEffects = byCriteria
      ? { decision: TrialDecision.Stop }
      : decisionOf(this.scheduler.onTrialResult(viewOf(trial), result));
    this.applyEffects(decision);
    let reply: ReportReply = ReportReply.Continue;
    if (decision.decision === TrialDecision.Stop) {
      this.setStatus(trial, TrialStatus.Terminated);
      this.searcher.onTrialComplete(trialId, result);
      if (byCriteria) this.applyEffects(this.scheduler.onTrialComplete(viewOf(trial), result));
      else this.scheduler.onTrialRemove?.(viewOf(trial));
      reply = ReportReply.Stop;
    } else if (decision.decision === TrialDecision.Pause) {
      this.setStatus(trial, TrialStatus.Paused);
      reply = ReportReply.Pause;
      if (decision.exploit) {
        // The donor's weights replace this trial's, so there is nothing of its own to save.
        if (await this.exploit(trial, decision.exploit)) reply = ReportReply.Stop;
      }
    }
    this.changed();
    // A trial goes on past a checkpoint only once the checkpoint and the result naming it are
    // durable: a restore after a driver crash continues from there.
    if (report.checkpoint || report.storedCheckpoint) await this.durable();
    return reply;
  }

  private async durable(): Promise<void> {
    await this.files.commit();
    await this.storage.flush?.();
  }

  private meetsStop(trialId: string, result: TrialMetrics): boolean {
    const { stop } = this.settings;
    if (result.done === true) return true;
    if (!stop) return false;
    if (typeof stop === 'function') return stop(trialId, result);
    if (isStopper(stop)) {
      const stopTrial = stop.shouldStop(trialId, result);
      if (stop.stopAll?.() === true && !this.budgetExpired) {
        this.budgetExpired = true; // the experiment ends as when its time budget runs out
        this.wake();
      }
      return stopTrial;
    }
    return Object.entries(stop).some(
      ([key, limit]) => typeof result[key] === 'number' && (result[key] as number) >= limit,
    );
  }

  private applyEffects(effects: SchedulerEffects | undefined): void {
    for (const id of effects?.stopTrialIds ?? []) {
      const t = this.byId.get(id);
      if (!t || FINISHED.has(t.status)) continue;
      this.setStatus(t, TrialStatus.Terminated);
      if (this.running.has(id)) this.executor.stop(id);
      this.searcher.onTrialComplete(id, t.lastResult);
    }
  }

  /** PBT's exploit: clone the donor's checkpoint into this trial and take the new config. */
  private async exploit(trial: TrialRecord, exploit: ExploitInstruction): Promise<boolean> {
    const target = this.nextCheckpointPath(trial);
    try {
      await this.storage.copyCheckpoint(exploit.checkpoint, target);
    } catch {
      return false; // the donor's checkpoint is gone (numToKeep): pause without exploiting
    }
    const oldConfig = trial.config;
    this.addCheckpoint(trial, target);
    trial.config = exploit.newConfig;
    this.files.writeParams(trial);
    const line = {
      time: Date.now() / 1000,
      iteration: trial.iteration,
      donorTrialId: exploit.donorTrialId,
      donorCheckpoint: exploit.checkpoint,
      oldConfig,
      newConfig: exploit.newConfig,
    };
    await this.storage.appendText(`${trial.dirName}/pbt_policy.json`, `${JSON.stringify(line)}\n`);
    return true;
  }

  private checkpointPath(trial: TrialRecord, index: number): string {
    return `${trial.dirName}/checkpoint_${String(index).padStart(6, '0')}`;
  }

  private nextCheckpointPath(trial: TrialRecord): string {
    return this.checkpointPath(trial, trial.nextCheckpointIndex++);
  }

  /** A checkpoint a trial process wrote into the experiment itself, at a path nextCheckpointPath gave it. */
  private recordStoredCheckpoint(trial: TrialRecord, path: string): string {
    const index = Number(/checkpoint_(\d+)$/.exec(path)?.[1]);
    if (!path.startsWith(`${trial.dirName}/`) || !Number.isInteger(index))
      throw new Error(`Trial ${trial.trialId} reported a checkpoint outside its folder: ${path}`);
    trial.nextCheckpointIndex = Math.max(trial.nextCheckpointIndex, index + 1);
    this.storage.adoptCheckpoint?.(path);
    this.addCheckpoint(trial, path);
    this.changed();
    return path;
  }

  private storageToken: Promise<string | undefined> | undefined;

  /** How trial processes reach the experiment; local experiments get a token file to recognise it by. */
  private storageInfo(): Promise<TrialStorageInfo> {
    const experimentPath = this.storage.experimentPath;
    const remote = isRemotePath(experimentPath);
    this.storageToken ??= remote
      ? Promise.resolve(undefined)
      : (async () => {
          const token = randomBytes(12).toString('hex');
          await this.storage.writeText(STORAGE_TOKEN_FILE, token);
          return token;
        })();
    return this.storageToken.then((token) => ({ experimentPath, remote, token }));
  }

  private addCheckpoint(trial: TrialRecord, path: string): void {
    trial.checkpoint = path;
    trial.checkpointIteration = trial.iteration;
    trial.checkpoints.push(path);
    const keep = this.settings.numToKeep;
    while (keep !== undefined && trial.checkpoints.length > keep) {
      const old = trial.checkpoints.shift() as string;
      void this.storage.remove(old).catch(() => {});
    }
  }

  private async persistCheckpoint(trial: TrialRecord, localDir: string): Promise<string> {
    const path = this.nextCheckpointPath(trial);
    await this.storage.putCheckpoint(localDir, path);
    this.addCheckpoint(trial, path);
    this.changed();
    return path;
  }

  // ---- trial exits -----------------------------------------------------------------------

  private async onExit(trial: TrialRecord, exit: TrialExit): Promise<void> {
    if (exit.kind === 'errored') {
      await this.onError(trial, exit.error);
    } else if (trial.status === TrialStatus.Running) {
      if (exit.kind === 'finished') {
        this.setStatus(trial, TrialStatus.Terminated);
        this.searcher.onTrialComplete(trial.trialId, trial.lastResult);
        this.applyEffects(this.scheduler.onTrialComplete(viewOf(trial), trial.lastResult));
      } else if (this.interrupted) {
        this.setStatus(trial, TrialStatus.Paused); // resumable with Tuner.restore
      } else {
        this.setStatus(trial, TrialStatus.Terminated); // time budget or an external stop
        this.searcher.onTrialComplete(trial.trialId, trial.lastResult);
        this.applyEffects(this.scheduler.onTrialComplete(viewOf(trial), trial.lastResult));
      }
    }
    this.changed();
  }

  private async onError(trial: TrialRecord, error: unknown): Promise<void> {
    const info = errorInfo(error);
    this.files.appendError(trial, info);
    if (trial.status !== TrialStatus.Running) return; // it was being stopped anyway
    trial.numFailures += 1;
    const { maxFailures } = this.settings;
    if ((maxFailures < 0 || trial.numFailures <= maxFailures) && !this.interrupted && !this.budgetExpired) {
      this.setStatus(trial, TrialStatus.Pending); // retried from its latest checkpoint
      return;
    }
    this.setStatus(trial, TrialStatus.Error);
    trial.error = info;
    this.searcher.onTrialComplete(trial.trialId, trial.lastResult, true);
    this.applyEffects(this.scheduler.onTrialError(viewOf(trial)));
  }

  /** Nothing runs and nothing can start: trials the scheduler keeps paused will never resume. */
  private releaseStranded(): void {
    for (const t of [...this.waiting.values()]) {
      if (t.status !== TrialStatus.Paused) continue;
      this.setStatus(t, TrialStatus.Terminated);
      this.searcher.onTrialComplete(t.trialId, t.lastResult);
    }
  }

  // ---- persistence and progress ----------------------------------------------------------

  private changed(): void {
    this.persist();
    this.reporter?.update(this.snapshot());
  }

  private persist(): void {
    this.writer.save(() => this.stateText());
  }

  /** JSON of trials that are over (they no longer change), so a big sweep's state is cheap to write. */
  private readonly finishedJson = new WeakMap<TrialRecord, { key: string; text: string }>();

  /** The experiment state's JSON, as JSON.stringify(this.state()) gives it. */
  private stateText(): string {
    const state = this.state([]);
    const parts = this.trials.map((t) => {
      if (!FINISHED.has(t.status) || this.running.has(t.trialId)) return JSON.stringify(toData(t));
      // What could still change about a finished trial, in case it does.
      const key = `${t.status}|${t.iteration}|${t.checkpoint}|${t.checkpoints.length}|${t.numFailures}|${t.lastResult === undefined}`;
      const cached = this.finishedJson.get(t);
      if (cached?.key === key) return cached.text;
      const text = JSON.stringify(toData(t));
      this.finishedJson.set(t, { key, text });
      return text;
    });
    const head = JSON.stringify(state);
    // `trials` is the state's last key: splice the trials' JSON into its empty array.
    return `${head.slice(0, -2)}${parts.join(',')}]}`;
  }

  /** The experiment state as it is now (built when the writer gets to it). */
  private state(trials: TrialRecord[] = this.trials): ExperimentState {
    const s = this.settings;
    const state: ExperimentState = {
      version: 1,
      name: s.experimentName,
      runId: this.runId,
      trainableName: s.trainableName,
      createdAt: this.createdAt,
      updatedAt: new Date().toISOString(),
      tuneConfig: {
        metric: s.metric,
        mode: s.mode,
        numSamples: s.numSamples,
        maxConcurrentTrials: s.maxConcurrentTrials,
        timeBudgetS: s.timeBudgetS,
        seed: s.seed,
        reuseActors: s.reuseActors,
      },
      runConfig: {
        stop: typeof s.stop === 'object' && !isStopper(s.stop) ? s.stop : undefined,
        checkpointConfig: {
          numToKeep: s.numToKeep,
          checkpointFrequency: s.checkpointFrequency,
          checkpointAtEnd: s.checkpointAtEnd,
        },
        maxFailures: s.maxFailures,
      },
      paramSpace: s.paramSpaceData ?? null,
      searcher: { name: this.searcher.name, state: this.searcher.save(), finished: this.searcherFinished },
      scheduler: { name: this.scheduler.name, state: this.scheduler.save() },
      trialCounter: this.trialCounter,
      trials: trials.map(toData),
    };
    return state;
  }

  snapshot(): ProgressSnapshot {
    return {
      experimentName: this.settings.experimentName,
      experimentPath: this.storage.experimentPath,
      elapsedS: (Date.now() - this.startedAt) / 1000,
      trials: this.trials,
      metric: this.settings.metric,
      mode: this.settings.mode,
    };
  }
}
