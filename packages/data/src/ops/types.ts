import type { Block, Row, Tensor, TypedArray } from '../block/index.ts';

/** How a batch is handed to `mapBatches` functions. */
export const BatchFormat = { rows: 'rows', columns: 'columns', tensor: 'tensor' } as const;
export type BatchFormat = (typeof BatchFormat)[keyof typeof BatchFormat];

/** A column batch value: a typed array (scalars), a tensor (cells with a shape) or a JS array. */
export type ColumnBatch = Record<string, TypedArray | Tensor | unknown[]>;
/** Tensor batch: every numeric column as a Tensor (`shape[0]` = rows); others as arrays. */
export type TensorBatch = Record<string, Tensor | unknown[]>;
export type Batch = Row[] | ColumnBatch | TensorBatch;

/** What a batch function may return: rows, or columns (typed arrays, tensors, arrays). */
export type BatchOutput = Row[] | Record<string, unknown>;

/**
 * Per-worker services for operators: `instance` builds a value once per worker and key, then
 * reuses it (how a mapBatches class holds one model per worker).
 */
export interface TaskContext {
  readonly workerId: number;
  instance<T>(key: object, create: () => T | Promise<T>): Promise<T>;
}

/** A pure per-block operator: the unit a remote executor can run as a task. */
export type BlockFn = (block: Block, ctx: TaskContext) => Block | Promise<Block>;

/** A barrier operator over all blocks (shuffle, sort, repartition, aggregate). */
export type AllToAllFn = (blocks: readonly Block[]) => Block[];

export interface AggregateSpec {
  readonly fn: 'count' | 'sum' | 'mean' | 'min' | 'max';
  readonly column?: string;
  /** Output column name; defaults to `fn(column)` (e.g. `mean(x)`, `count()`). */
  readonly name?: string;
}
