/**
 * Checkpoint contracts. A checkpoint is a folder of files; persisted under a run folder as
 * `<storagePath>/<name>/checkpoint_000000/`, it is complete only once its marker file
 * (`.manta_checkpoint_complete`, holding a CheckpointMarker) exists — the marker is written last
 * and deleted first.
 */
import type { Checkpoint } from './checkpoint.ts';

export const ScoreOrder = { MAX: 'max', MIN: 'min' } as const;
export type ScoreOrder = (typeof ScoreOrder)[keyof typeof ScoreOrder];

export interface CheckpointConfig {
  /** Checkpoints to keep (the best by score); the latest is always kept too. Default: all. */
  numToKeep?: number;
  /** Metric ranking checkpoints; default: report order (newest is best). */
  scoreAttribute?: string;
  /** Whether a higher or a lower score is better (default 'max'). */
  scoreOrder?: ScoreOrder;
}

/** The JSON in a persisted checkpoint's completion marker. */
export interface CheckpointMarker {
  version: 1;
  /** N in `checkpoint_N`. */
  index: number;
  /** ISO time the checkpoint was completed. */
  createdAt: string;
  /** Metrics reported with the checkpoint. */
  metrics: Record<string, unknown>;
  /** Each file's size in bytes, by path relative to the checkpoint folder. */
  files: Record<string, number>;
}

/** A persisted, complete checkpoint found under a run folder. */
export interface PersistedCheckpoint {
  checkpoint: Checkpoint;
  index: number;
  marker: CheckpointMarker;
}

/** A checkpoint a CheckpointManager tracks, with the metrics it was reported with. */
export interface TrackedCheckpoint {
  checkpoint: Checkpoint;
  metrics: Record<string, unknown>;
  /** Report order, from 0. */
  order: number;
}

/** A CheckpointManager's state as plain data, for experiment state files. */
export interface CheckpointManagerState {
  version: 1;
  nextOrder: number;
  checkpoints: { uri: string; metrics: Record<string, unknown>; order: number }[];
}
