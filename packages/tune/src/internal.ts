// Sibling-package face of @manta/tune: the controller's parts, for a core-backed executor
// and for tests in test/.
export { runInSession, TrialInterrupt, type TrialSession } from './executor/index.ts';
export { type FakeRunLog, type FakeTrial, runFake } from './schedulers/fake_runner.ts';
export { decisionOf } from './schedulers/index.ts';
export {
  createRng,
  deserializeSpace,
  type Rng,
  resolveSpace,
  serializeSpace,
  validateParamSpace,
} from './search/index.ts';
export { CHECKPOINT_MARKER } from './storage/index.ts';
export {
  type ControllerResume,
  type ControllerSettings,
  EXPERIMENT_STATE_FILE,
  type ExperimentState,
  readExperimentState,
  TuneController,
} from './tuner/index.ts';
