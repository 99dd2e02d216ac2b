import type { TrialConfig, TrialMetrics } from '../search/index.ts';

/** A class trainable (Ray's Trainable): one instance per trial, driven step by step. */
export interface TrainableInstance {
  setup?(config: TrialConfig): void | Promise<void>;
  /** One iteration; return its metrics. `done: true` ends the trial. */
  step(): TrialMetrics | Promise<TrialMetrics>;
  /** Write the state into `dir` (an empty directory). */
  saveCheckpoint?(dir: string): void | Promise<void>;
  loadCheckpoint?(dir: string): void | Promise<void>;
  /** Take a new config without being rebuilt (reuseActors); return false to be rebuilt. */
  resetConfig?(config: TrialConfig): boolean | Promise<boolean>;
  cleanup?(): void | Promise<void>;
}
export type TrainableClass = new () => TrainableInstance;
/**
 * A function trainable: runs the whole trial, calling `report(metrics, { checkpoint })` and
 * `getCheckpoint()` from '@manta/tune'. A returned object is reported as the last result.
 */
export type FunctionTrainable = (config: TrialConfig) => unknown;
export type Trainable = FunctionTrainable | TrainableClass;

export interface StartTrialRequest {
  readonly trialId: string;
  readonly trialName: string;
  readonly experimentName: string;
  /** Local working folder of the trial. */
  readonly trialDir: string;
  readonly config: TrialConfig;
  /** Local checkpoint folder to resume from. */
  readonly checkpoint: string | undefined;
  /** The same checkpoint relative to the experiment root (for trials that run on other machines). */
  readonly checkpointPath?: string;
  /** The experiment's storage, for trial processes that move checkpoints themselves. */
  readonly storage?: TrialStorageInfo;
  /**
   * False when every result is answered CONTINUE unless the trial is being stopped (FIFO, no stop
   * criteria): a remote trial may then stream results without waiting for each answer.
   */
  readonly decisionsPerResult?: boolean;
  /** Results the trial already reported (its next one is number iteration + 1). */
  readonly iteration: number;
  /** Class trainables: save a checkpoint every N steps (0: never). */
  readonly checkpointFrequency: number;
  /** Class trainables: save a checkpoint when stopped. */
  readonly checkpointAtEnd: boolean;
}

/** Where an experiment lives, as trial processes see it. */
export interface TrialStorageInfo {
  /** An absolute local path, or a URI (`s3://...`) when `remote`. */
  readonly experimentPath: string;
  readonly remote: boolean;
  /**
   * Local storage: the content of the experiment's `.manta_storage_token` file, so that a trial
   * process can tell whether it sees the same folder (same machine or a shared filesystem).
   */
  readonly token?: string;
}

export interface TrialReport {
  readonly metrics: TrialMetrics;
  /** A local folder to persist as this result's checkpoint (copied; the caller may delete it after). */
  readonly checkpoint?: string;
  /**
   * A checkpoint the trial process already wrote into the experiment (complete, marker last), at
   * the path `TrialSink.nextCheckpointPath` gave, relative to the experiment root.
   */
  readonly storedCheckpoint?: string;
}

/**
 * What the controller answers to a report. PAUSE: save a checkpoint if you can (class
 * trainables), then end; STOP: end.
 */
export const ReportReply = { Continue: 'CONTINUE', Pause: 'PAUSE', Stop: 'STOP' } as const;
export type ReportReply = (typeof ReportReply)[keyof typeof ReportReply];

/** The controller's side of a running trial. */
export interface TrialSink {
  /** Called for each result; the trial waits for the reply before it continues. */
  report(trialId: string, report: TrialReport): Promise<ReportReply>;
  /**
   * A checkpoint saved outside a report (on PAUSE, or at the end): a local folder to copy in, or
   * `{ stored }` for one already written into the experiment.
   */
  checkpoint(trialId: string, checkpoint: string | { readonly stored: string }): Promise<void>;
  /** Where the trial's next checkpoint goes, relative to the experiment root (not reserved twice). */
  nextCheckpointPath?(trialId: string): string | undefined;
  /** A local folder holding the checkpoint at `path` (relative to the experiment root). */
  localCheckpoint?(path: string): Promise<string>;
}

export type TrialExit =
  | { readonly kind: 'finished' }
  | { readonly kind: 'stopped' }
  | { readonly kind: 'errored'; readonly error: unknown };

/**
 * Runs trials somewhere (in this process, or on cluster actors) and streams their reports
 * to a sink. `start` resolves when the trial's code has ended.
 */
export interface TrialExecutor {
  /**
   * Trials run in other processes that find checkpoints through `checkpointPath` and `storage`
   * (the controller then skips making local copies for `checkpoint`).
   */
  readonly remoteTrials?: boolean;
  start(request: StartTrialRequest, sink: TrialSink): Promise<TrialExit>;
  /** How many short streamed trials `startBatch` takes at most (absent or 1: no batches). */
  readonly maxBatch?: number;
  /**
   * Start trials that run one after the other in one concurrency slot (short trials that stream
   * their results); one exit per request, in order.
   */
  startBatch?(requests: readonly StartTrialRequest[], sink: TrialSink): Promise<TrialExit>[];
  /** Ask a running trial to end at its next report or step (interruption, time budget). */
  stop(trialId: string): void;
  shutdown(): Promise<void>;
}
