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
  /** Results the trial already reported (its next one is number iteration + 1). */
  readonly iteration: number;
  /** Class trainables: save a checkpoint every N steps (0: never). */
  readonly checkpointFrequency: number;
  /** Class trainables: save a checkpoint when stopped. */
  readonly checkpointAtEnd: boolean;
}

export interface TrialReport {
  readonly metrics: TrialMetrics;
  /** A local folder to persist as this result's checkpoint (copied; the caller may delete it after). */
  readonly checkpoint?: string;
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
  /** A checkpoint saved outside a report (on PAUSE, or at the end). */
  checkpoint(trialId: string, localDir: string): Promise<void>;
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
  start(request: StartTrialRequest, sink: TrialSink): Promise<TrialExit>;
  /** Ask a running trial to end at its next report or step (interruption, time budget). */
  stop(trialId: string): void;
  shutdown(): Promise<void>;
}
