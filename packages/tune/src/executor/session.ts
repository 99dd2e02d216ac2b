import { AsyncLocalStorage } from 'node:async_hooks';
import { SessionMissingError } from '../errors/index.ts';
import type { TrialMetrics } from '../search/index.ts';

/** Facts about the running trial, as Ray's `tune.get_context()`. */
export interface TrialContext {
  readonly trialId: string;
  readonly trialName: string;
  readonly experimentName: string;
  /** Local working folder of the trial. */
  readonly trialDir: string;
  /** Results reported before this run started (nonzero after a restore or restart). */
  readonly iteration: number;
}

export interface ReportOptions {
  /** A local folder holding this step's checkpoint; it is copied into the experiment. */
  readonly checkpoint?: string;
}

export interface TrialSession extends TrialContext {
  readonly checkpoint: string | undefined;
  report(metrics: TrialMetrics, options?: ReportOptions): Promise<void>;
}

const storage = new AsyncLocalStorage<TrialSession>();

/** Thrown out of `report()` when the controller stopped or paused the trial; ends the trainable. */
export class TrialInterrupt extends Error {
  constructor(readonly trialId: string) {
    super(`Trial ${trialId} was stopped by the tuner`);
    this.name = 'TrialInterrupt';
  }
}

export function runInSession<T>(session: TrialSession, fn: () => T): T {
  return storage.run(session, fn);
}

function current(fn: string): TrialSession {
  const session = storage.getStore();
  if (!session) throw new SessionMissingError(fn);
  return session;
}

/**
 * Report one iteration's metrics (and optionally a checkpoint folder) from inside a function
 * trainable. Await it: it resolves when the tuner has taken the result, and rejects with a
 * TrialInterrupt when the tuner stops or pauses the trial (let it propagate).
 */
export function report(metrics: TrialMetrics, options?: ReportOptions): Promise<void> {
  const promise = current('report').report(metrics, options);
  // A trainable that forgets to await must not crash the process with an unhandled rejection.
  promise.catch(() => {});
  return promise;
}

/** The folder of the checkpoint this trial resumes from, or undefined on a fresh start. */
export function getCheckpoint(): string | undefined {
  return current('getCheckpoint').checkpoint;
}

export function getContext(): TrialContext {
  const { trialId, trialName, experimentName, trialDir, iteration } = current('getContext');
  return { trialId, trialName, experimentName, trialDir, iteration };
}
