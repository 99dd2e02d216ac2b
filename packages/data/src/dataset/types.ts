import type { BatchFormat } from '../ops/index.ts';
import type { ComputeStrategy } from '../plan/index.ts';

export interface MapBatchesOptions {
  /** Rows per batch (default 256); `null` hands each block whole. */
  readonly batchSize?: number | null;
  /** How batches are presented: `rows`, `columns` (default) or `tensor`. */
  readonly batchFormat?: BatchFormat;
  /**
   * Batches run at once (default 1, or the pool size): local worker slots, or remote tasks in
   * flight. A class gets one instance per slot.
   */
  readonly concurrency?: number;
  /** Arguments for the class constructor. */
  readonly constructorArgs?: readonly unknown[];
  /**
   * `actorPool({ size })`: on a Manta cluster, `size` actors (worker processes) each construct
   * the class once and take batches; without a runtime, `size` local slots.
   */
  readonly compute?: ComputeStrategy;
  /** CPUs each task or actor reserves on a cluster (actors default to 1, tasks to 0). */
  readonly numCpus?: number;
  readonly numGpus?: number;
}

export interface IterBatchesOptions {
  readonly batchSize?: number;
  readonly batchFormat?: BatchFormat;
  /** Batches computed ahead of the consumer (default 1). */
  readonly prefetchBatches?: number;
  readonly dropLast?: boolean;
  /** Shuffle rows within a window of at least this many rows (0: off). */
  readonly localShuffleBufferSize?: number;
  readonly seed?: number | string;
}

export interface StreamingSplitOptions {
  /** Give every shard the same number of rows (up to n-1 rows are dropped per epoch). */
  readonly equal?: boolean;
  /** Reshuffle globally each epoch with seed `seed + epoch`. */
  readonly shuffleEachEpoch?: { readonly seed: number };
}

export interface WriteOptions {
  /** File name prefix inside the output folder (default `part`). */
  readonly prefix?: string;
}
