export { Checkpoint } from './checkpoint.ts';
export { CheckpointError, CheckpointIncompleteError, CheckpointMetricMissingError } from './errors.ts';
export { CheckpointManager, type RegisterResult } from './manager.ts';
export { MARKER_FILE, parseMarker, readMarker } from './marker.ts';
export {
  checkpointDirName,
  latestCheckpoint,
  listCheckpoints,
  type PersistOptions,
  parseCheckpointDirName,
  persistCheckpoint,
  runUri,
} from './persist.ts';
export {
  type LoadedModel,
  type LoadModelOptions,
  loadModelFromDirectory,
  MODEL_FILES,
  type SaveModelOptions,
  saveModelToDirectory,
} from './tfjs.ts';
export type {
  CheckpointConfig,
  CheckpointManagerState,
  CheckpointMarker,
  PersistedCheckpoint,
  TrackedCheckpoint,
} from './types.ts';
export { ScoreOrder } from './types.ts';
