import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { TrialMetrics } from '../search/index.ts';
import {
  type SchedulerDecision,
  type SchedulerEffects,
  type SchedulerProperties,
  TrialDecision,
  type TrialScheduler,
  TrialStatus,
  type TrialView,
} from './types.ts';

/** Runs trials in the order they were added, pending before paused, never stops one early. */
export function chooseFifo(trials: readonly TrialView[]): TrialView | undefined {
  return (
    trials.find((t) => t.status === TrialStatus.Pending) ??
    trials.find((t) => t.status === TrialStatus.Paused)
  );
}

export class FIFOScheduler implements TrialScheduler {
  readonly name = 'fifo';
  readonly alwaysContinues = true;
  constructor(options: Record<string, never> = {}) {
    parseConfig(z.strictObject({}), options, 'FIFOScheduler options');
  }
  setSearchProperties(_props: SchedulerProperties): void {}
  onTrialAdd(): void {}
  onTrialResult(_trial: TrialView, _result: TrialMetrics): SchedulerDecision {
    return TrialDecision.Continue;
  }
  onTrialComplete(): SchedulerEffects | undefined {
    return undefined;
  }
  onTrialError(): SchedulerEffects | undefined {
    return undefined;
  }
  chooseTrialToRun(trials: readonly TrialView[]): TrialView | undefined {
    return chooseFifo(trials);
  }
  save(): unknown {
    return {};
  }
  restore(): void {}
}
