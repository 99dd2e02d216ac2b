export {
  Checkpoint,
  CheckpointError,
  CheckpointIncompleteError,
  CheckpointManager,
  CheckpointMetricMissingError,
  latestCheckpoint,
  listCheckpoints,
  loadModelFromDirectory,
  type LoadedModel,
  type LoadModelOptions,
  persistCheckpoint,
  runUri,
  type SaveModelOptions,
  saveModelToDirectory,
  ScoreOrder,
  type CheckpointConfig,
  type CheckpointMarker,
  type PersistedCheckpoint,
  type PersistOptions,
  type RegisterResult,
  type TrackedCheckpoint,
} from './checkpoint/index.ts';
export { allReduceTensors, GradientAverager, type TensorReducer } from './collective-tfjs/index.ts';
export { allReduceMean, DistributedOptimizer, prepareModel } from './distributed/index.ts';
export {
  getCheckpoint,
  getContext,
  getDatasetShard,
  type ReportOptions,
  report,
  type TrainContext,
} from './session/index.ts';
export {
  InvalidStoragePathError,
  joinUri,
  type S3StorageOptions,
  type Storage,
  StorageError,
  storageFor,
  StorageNotFoundError,
  type StorageOptions,
  type TransferOptions,
  type TransferResult,
  UnknownStorageSchemeError,
} from './storage/index.ts';
export {
  BACKEND_NAMES,
  type BackendName,
  BackendUnavailableError,
  isMantaWasmKernel,
  registerWasmTrainingKernels,
  type SelectBackendOptions,
  selectBackend,
  WASM_TRAINING_KERNELS,
} from './tfjs/index.ts';
export type { RunConfig, ScalingConfig, TrainerConfig } from './trainer/config.ts';
export type { Result } from './trainer/result.ts';
export { type TrainLoop, trainLoop } from './trainer/train-loop.ts';
export {
  DataParallelTrainer,
  type FitOptions,
  TensorflowTrainer,
  TrainingFailedError,
} from './trainer/trainer.ts';
