import { ConfigError } from '@manta/core';
import { ASHAScheduler, type ASHASchedulerOptions } from './asha.ts';
import { FIFOScheduler } from './fifo.ts';
import { HyperBandScheduler, type HyperBandSchedulerOptions } from './hyperband.ts';
import { MedianStoppingRule, type MedianStoppingRuleOptions } from './median_stopping.ts';
import { PopulationBasedTraining, type PopulationBasedTrainingOptions } from './pbt.ts';
import type { TrialScheduler } from './types.ts';

/** Scheduler factories by name (Ray's names where they exist). */
export const SCHEDULERS = {
  fifo: (options?: unknown) => new FIFOScheduler((options ?? {}) as Record<string, never>),
  asha: (options?: unknown) => new ASHAScheduler((options ?? {}) as ASHASchedulerOptions),
  async_hyperband: (options?: unknown) => new ASHAScheduler((options ?? {}) as ASHASchedulerOptions),
  hyperband: (options?: unknown) => new HyperBandScheduler((options ?? {}) as HyperBandSchedulerOptions),
  median_stopping_rule: (options?: unknown) =>
    new MedianStoppingRule((options ?? {}) as MedianStoppingRuleOptions),
  pbt: (options?: unknown) => new PopulationBasedTraining((options ?? {}) as PopulationBasedTrainingOptions),
} as const satisfies Record<string, (options?: unknown) => TrialScheduler>;
export type SchedulerName = keyof typeof SCHEDULERS;

/** Build a scheduler by name; an unknown name throws a ConfigError listing the known ones. */
export function createScheduler(name: string, options?: unknown): TrialScheduler {
  if (!Object.hasOwn(SCHEDULERS, name)) {
    const known = Object.keys(SCHEDULERS).join(', ');
    throw new ConfigError(`Unknown scheduler '${name}'; known schedulers: ${known}`, [
      `scheduler: '${name}' is not one of ${known}`,
    ]);
  }
  return SCHEDULERS[name as SchedulerName](options);
}
