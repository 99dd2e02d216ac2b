export type { RestoreOptions, RunConfig, StopFn, TrialNaming, TuneConfig, TunerOptions } from './config.ts';
export { type ControllerResume, TuneController } from './controller.ts';
export { EXPERIMENT_STATE_FILE, type ExperimentState, readExperimentState } from './experiment_state.ts';
export {
  bestTrialLine,
  CliReporter,
  type CliReporterOptions,
  type ProgressReporter,
  type ProgressSnapshot,
  type ProgressTrial,
  statusTable,
} from './progress.ts';
export { MetricScope, type Result, ResultGrid } from './result_grid.ts';
export type { ControllerSettings } from './settings.ts';
export type { TrialErrorInfo, TrialRecord } from './trial.ts';
export { type FitOptions, type Tunable, Tuner } from './tuner.ts';
