import type { BatchFormat } from '../ops/index.ts';

export interface MapBatchesOptions {
  /** Rows per batch (default 256); `null` hands each block whole. */
  readonly batchSize?: number | null;
  /** How batches are presented: `rows`, `columns` (default) or `tensor`. */
  readonly batchFormat?: BatchFormat;
  /** Worker slots running batches at once; a class gets one instance per slot (default 1). */
  readonly concurrency?: number;
  /** Arguments for the class constructor. */
  readonly constructorArgs?: readonly unknown[];
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
