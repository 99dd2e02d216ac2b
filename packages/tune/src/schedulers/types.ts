import type { Mode, TrialConfig, TrialMetrics } from '../search/index.ts';

export const TrialStatus = {
  Pending: 'PENDING',
  Running: 'RUNNING',
  Paused: 'PAUSED',
  Terminated: 'TERMINATED',
  Error: 'ERROR',
} as const;
export type TrialStatus = (typeof TrialStatus)[keyof typeof TrialStatus];

/** What a scheduler decides for the trial whose result it just saw. */
export const TrialDecision = { Continue: 'CONTINUE', Pause: 'PAUSE', Stop: 'STOP' } as const;
export type TrialDecision = (typeof TrialDecision)[keyof typeof TrialDecision];

/** The read-only face of a trial that schedulers see (never the runner). */
export interface TrialView {
  readonly trialId: string;
  readonly status: TrialStatus;
  readonly config: Readonly<TrialConfig>;
  readonly lastResult: TrialMetrics | undefined;
  /** Path of the trial's latest persisted checkpoint, if any. */
  readonly checkpoint: string | undefined;
}

/** PBT's exploit: restart this trial from `checkpoint` (the donor's) with `newConfig`. */
export interface ExploitInstruction {
  readonly donorTrialId: string;
  readonly checkpoint: string;
  readonly newConfig: TrialConfig;
}

/** A decision with side effects the controller carries out. */
export interface DecisionWithEffects {
  readonly decision: TrialDecision;
  /** Only with PAUSE: clone the donor's checkpoint into this trial and restart it with newConfig. */
  readonly exploit?: ExploitInstruction;
  /** Other (paused) trials the scheduler gives up on, e.g. HyperBand's losers of a rung. */
  readonly stopTrialIds?: readonly string[];
}
export type SchedulerDecision = TrialDecision | DecisionWithEffects;

/** Side effects a scheduler may ask for when a trial leaves (e.g. a rung completing). */
export interface SchedulerEffects {
  readonly stopTrialIds?: readonly string[];
}

export interface SchedulerProperties {
  readonly metric?: string;
  readonly mode?: Mode;
}

/**
 * The trial scheduler contract, after Ray's trial_scheduler.py. Decisions are returned values;
 * `save()` gives plain JSON data that `restore()` takes back.
 */
export interface TrialScheduler {
  readonly name: string;
  /**
   * True when onTrialResult always answers CONTINUE with no effects (FIFO): trials then stream
   * their results without waiting for a decision on each.
   */
  readonly alwaysContinues?: boolean;
  /** Fill in metric/mode from tuneConfig; throws ConfigError when neither is set where needed. */
  setSearchProperties(props: SchedulerProperties): void;
  onTrialAdd(trial: TrialView): void;
  onTrialResult(trial: TrialView, result: TrialMetrics): SchedulerDecision;
  onTrialComplete(trial: TrialView, result: TrialMetrics | undefined): SchedulerEffects | undefined;
  onTrialError(trial: TrialView): SchedulerEffects | undefined;
  onTrialRemove?(trial: TrialView): void;
  /** Pick a PENDING or PAUSED trial to (re)start, or undefined for none now. */
  chooseTrialToRun(trials: readonly TrialView[]): TrialView | undefined;
  save(): unknown;
  restore(data: unknown): void;
}

/** Normalise a decision to its object form. */
export function decisionOf(d: SchedulerDecision): DecisionWithEffects {
  return typeof d === 'string' ? { decision: d } : d;
}
