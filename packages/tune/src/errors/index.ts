export {
  ExperimentNotFoundError,
  ExperimentStateError,
  SessionMissingError,
  TrialFailedError,
  TuneErrorCode,
  TuneInterruptedError,
} from './errors.ts';
