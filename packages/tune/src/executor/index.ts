export {
  isTrainableClass,
  LocalTrialExecutor,
  type LocalTrialExecutorOptions,
  trainableName,
} from './local.ts';
export {
  getCheckpoint,
  getContext,
  type ReportOptions,
  report,
  runInSession,
  type TrialContext,
  TrialInterrupt,
  type TrialSession,
} from './session.ts';
export {
  type FunctionTrainable,
  ReportReply,
  type StartTrialRequest,
  type Trainable,
  type TrainableClass,
  type TrainableInstance,
  type TrialExecutor,
  type TrialExit,
  type TrialReport,
  type TrialSink,
  type TrialStorageInfo,
} from './types.ts';
