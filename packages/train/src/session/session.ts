import { AsyncLocalStorage } from 'node:async_hooks';
import { type CollectiveGroup, MantaError } from '@manta/core';
import type { Checkpoint } from '../checkpoint/index.ts';

/** Where a training worker stands in its group (Ray Train's TrainContext). */
export interface TrainContext {
  worldRank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  nodeRank: number;
  /** The run's name (runConfig.name). */
  experimentName: string;
  /** The tfjs backend this worker runs on: 'tensorflow', 'wasm' or 'cpu'. */
  backend: string;
  /** Set when the run is a trial of a Tune experiment. */
  trialName?: string;
  trialId?: string;
}

export interface ReportOptions {
  checkpoint?: Checkpoint;
}

/** What a worker process does on `report()`: implemented by the trainer's worker actor. */
export interface TrainSession {
  readonly context: TrainContext;
  readonly checkpoint: Checkpoint | null;
  readonly shards: Record<string, unknown>;
  report(metrics: Record<string, unknown>, options: ReportOptions): Promise<void>;
  /** The collective group of this run's workers (for prepareModel and distributed optimizers). */
  readonly group: CollectiveGroup | undefined;
}

const storage = new AsyncLocalStorage<TrainSession>();

export function runInSession<T>(session: TrainSession, fn: () => T): T {
  return storage.run(session, fn);
}

export class NoTrainSessionError extends MantaError {
  constructor(what: string) {
    super(
      'NO_TRAIN_SESSION',
      `${what}() must be called inside a training loop run by a trainer (or a Tune trial)`,
    );
  }
}

export function currentSession(what: string): TrainSession {
  const session = storage.getStore();
  if (!session) throw new NoTrainSessionError(what);
  return session;
}

/** This worker's rank, world size, experiment name and backend. */
export function getContext(): TrainContext {
  return currentSession('getContext').context;
}

/**
 * Reports metrics (and optionally a checkpoint) for this iteration. Every worker calls it the
 * same number of times; rank 0's metrics are the run's, and its checkpoint is persisted to the
 * run's storage before `report` returns on any rank.
 */
export async function report(metrics: Record<string, unknown>, options: ReportOptions = {}): Promise<void> {
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) {
    throw new MantaError(
      'CONFIG_INVALID',
      `report(): metrics must be an object of name -> value, got ${typeof metrics}`,
    );
  }
  await currentSession('report').report(metrics, options);
}

/** The checkpoint to resume from (after a failure, or `resumeFromCheckpoint`), or null. */
export function getCheckpoint(): Checkpoint | null {
  return currentSession('getCheckpoint').checkpoint;
}

/** This worker's shard of the dataset given to the trainer under `name`. */
export function getDatasetShard<T = unknown>(name: string): T {
  const session = currentSession('getDatasetShard');
  if (!(name in session.shards)) {
    const known = Object.keys(session.shards);
    throw new MantaError(
      'CONFIG_INVALID',
      `getDatasetShard('${name}'): no dataset of that name; the trainer was given ${known.length ? known.map((k) => `'${k}'`).join(', ') : 'no datasets'}`,
    );
  }
  return session.shards[name] as T;
}
