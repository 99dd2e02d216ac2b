import { ActorDiedError, TaskError, WorkerCrashedError } from '@manta/core';

export type FailureDecision = 'RESTART' | 'RAISE';

/**
 * Worker deaths (a process killed, a node lost) and the collective errors they cause on the
 * surviving ranks are system failures: restart from the latest checkpoint while failures are
 * left (maxFailures -1 = always). Errors the training loop throws are the user's: raise them.
 */
export function decideOnFailure(error: unknown, failuresSoFar: number, maxFailures: number): FailureDecision {
  if (!isSystemFailure(error)) return 'RAISE';
  return maxFailures === -1 || failuresSoFar < maxFailures ? 'RESTART' : 'RAISE';
}

export function isSystemFailure(error: unknown): boolean {
  if (error instanceof ActorDiedError || error instanceof WorkerCrashedError) return true;
  if (error instanceof TaskError) return error.remoteName === 'CollectiveError';
  return false;
}
