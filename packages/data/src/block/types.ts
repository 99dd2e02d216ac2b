/** Element types a column can hold. Numeric ones live in typed arrays (the hot path). */
export const DType = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  uint8: 'uint8',
  bool: 'bool',
  string: 'string',
  object: 'object',
} as const;
export type DType = (typeof DType)[keyof typeof DType];

export type NumericDType = 'float32' | 'float64' | 'int32' | 'uint8';
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/**
 * One column of a block. Numeric columns keep `numRows * prod(shape)` values in one typed array
 * (row-major); `shape` is the per-row element shape, `[]` for scalars, `[32, 32, 3]` for an image.
 * `bool`, `string` and `object` columns keep one JS value per row in a plain array.
 */
export type Column =
  | { readonly dtype: NumericDType; readonly shape: readonly number[]; readonly data: TypedArray }
  | { readonly dtype: 'bool'; readonly shape: readonly []; readonly data: readonly boolean[] }
  | { readonly dtype: 'string'; readonly shape: readonly []; readonly data: readonly string[] }
  | { readonly dtype: 'object'; readonly shape: readonly []; readonly data: readonly unknown[] };

/**
 * A block: the unit of data the executor moves, a set of equal-length columns. Plain data (no
 * methods) so it can cross a process boundary as-is; functions in this folder operate on it.
 */
export interface Block {
  readonly numRows: number;
  readonly columns: Readonly<Record<string, Column>>;
}

export interface Field {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export interface Schema {
  readonly fields: readonly Field[];
}

/** A row as user code sees it: tensor cells are zero-copy subarray views into the block. */
export type Row = Record<string, unknown>;
