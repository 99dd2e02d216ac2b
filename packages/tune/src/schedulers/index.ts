export { ASHAScheduler, type ASHASchedulerOptions } from './asha.ts';
export { chooseFifo, FIFOScheduler } from './fifo.ts';
export { HyperBandScheduler, type HyperBandSchedulerOptions } from './hyperband.ts';
export { MedianStoppingRule, type MedianStoppingRuleOptions } from './median_stopping.ts';
export { PopulationBasedTraining, type PopulationBasedTrainingOptions } from './pbt.ts';
export { explore, type Mutations } from './pbt_explore.ts';
export { createScheduler, SCHEDULERS, type SchedulerName } from './registry.ts';
export {
  type DecisionWithEffects,
  decisionOf,
  type ExploitInstruction,
  type SchedulerDecision,
  type SchedulerEffects,
  type SchedulerProperties,
  TrialDecision,
  type TrialScheduler,
  TrialStatus,
  type TrialView,
} from './types.ts';
