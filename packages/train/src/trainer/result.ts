import type { Checkpoint } from '../checkpoint/index.ts';

/** What `fit()` resolves with (Ray Train's Result). */
export interface Result {
  /** The last metrics rank 0 reported. */
  metrics: Record<string, unknown>;
  /** Every report, in order (after a restart, reports continue from the restored checkpoint). */
  metricsHistory: Record<string, unknown>[];
  /** The latest persisted checkpoint, or null. */
  checkpoint: Checkpoint | null;
  /** The kept checkpoints with the metrics they were reported with (best first when scored). */
  bestCheckpoints: { checkpoint: Checkpoint; metrics: Record<string, unknown> }[];
  /** The run folder: `storagePath/name`. */
  path: string;
  /** Set when the run failed (fit() rejects then; the Result is attached to the error). */
  error: Error | null;
  /** The tfjs backend the workers ran on. */
  backend: string;
  /** How many times the workers were restarted after a failure. */
  failures: number;
}
