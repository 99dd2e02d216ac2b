import { MantaError } from '@manta/core';

/** Stable codes of the errors @manta/tune raises itself (config problems use core's ConfigError). */
export const TuneErrorCode = {
  TrialFailed: 'TUNE_TRIAL_FAILED',
  ExperimentNotFound: 'TUNE_EXPERIMENT_NOT_FOUND',
  ExperimentState: 'TUNE_EXPERIMENT_STATE',
  SessionMissing: 'TUNE_SESSION_MISSING',
  Interrupted: 'TUNE_INTERRUPTED',
} as const;
export type TuneErrorCode = (typeof TuneErrorCode)[keyof typeof TuneErrorCode];

/** A trial's trainable threw (after its retries ran out). Keeps the original stack. */
export class TrialFailedError extends MantaError {
  readonly trialId: string;
  readonly remoteStack: string | undefined;
  constructor(trialId: string, message: string, remoteStack?: string, options?: { cause?: unknown }) {
    super(TuneErrorCode.TrialFailed, `Trial ${trialId} failed: ${message}`, options);
    this.trialId = trialId;
    this.remoteStack = remoteStack;
  }
}

/** `Tuner.restore(path)` found no experiment_state.json under `path`. */
export class ExperimentNotFoundError extends MantaError {
  readonly path: string;
  constructor(path: string, options?: { cause?: unknown }) {
    super(
      TuneErrorCode.ExperimentNotFound,
      `No experiment to restore at ${path} (missing experiment_state.json)`,
      options,
    );
    this.path = path;
  }
}

/** experiment_state.json exists but cannot be read or restored as asked. */
export class ExperimentStateError extends MantaError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super(TuneErrorCode.ExperimentState, `${message} (experiment at ${path})`, options);
    this.path = path;
  }
}

/** `report()` / `getCheckpoint()` was called outside a running trial. */
export class SessionMissingError extends MantaError {
  readonly fn: string;
  constructor(fn: string) {
    super(
      TuneErrorCode.SessionMissing,
      `${fn}() was called outside a Tune trial; call it from inside the trainable`,
    );
    this.fn = fn;
  }
}

/** `fit()` was interrupted (its AbortSignal fired); the experiment can be resumed with `Tuner.restore`. */
export class TuneInterruptedError extends MantaError {
  readonly experimentPath: string;
  constructor(experimentPath: string, options?: { cause?: unknown }) {
    super(
      TuneErrorCode.Interrupted,
      `Tuning was interrupted; resume with Tuner.restore('${experimentPath}', trainable)`,
      options,
    );
    this.experimentPath = experimentPath;
  }
}
