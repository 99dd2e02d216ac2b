import type { TrialMetrics } from '../search/index.ts';

/**
 * Decides when trials, or the whole experiment, end (Ray's `tune.Stopper`): asked after every
 * result. Pass one as `runConfig.stop`.
 */
export interface Stopper {
  /** True to end this trial now. */
  shouldStop(trialId: string, result: TrialMetrics): boolean;
  /** True to end every trial and start no new ones (asked after each result). */
  stopAll?(): boolean;
}

export function isStopper(value: unknown): value is Stopper {
  return typeof value === 'object' && value !== null && typeof (value as Stopper).shouldStop === 'function';
}
