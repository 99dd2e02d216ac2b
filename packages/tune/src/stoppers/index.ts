export { CombinedStopper, MaximumIterationStopper, TimeoutStopper, TrialPlateauStopper } from './builtin.ts';
export { isStopper, type Stopper } from './types.ts';
