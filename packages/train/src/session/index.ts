export {
  currentSession,
  getCheckpoint,
  getContext,
  getDatasetShard,
  NoTrainSessionError,
  type ReportOptions,
  report,
  runInSession,
  type TrainContext,
  type TrainSession,
} from './session.ts';
