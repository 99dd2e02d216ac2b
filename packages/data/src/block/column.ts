import { DataSchemaError } from '../errors/index.ts';
import type { Column, DType, NumericDType, TypedArray } from './types.ts';

const CTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Array,
} as const;

export function isNumeric(dtype: DType): dtype is NumericDType {
  return dtype in CTORS;
}

export function allocTyped(dtype: NumericDType, length: number): TypedArray {
  return new CTORS[dtype](length);
}

export function dtypeOfTyped(data: ArrayBufferView): NumericDType | undefined {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  return undefined;
}

export function cellSize(column: Column): number {
  let size = 1;
  for (const d of column.shape) size *= d;
  return size;
}

export function columnLength(column: Column): number {
  return isNumeric(column.dtype) ? column.data.length / cellSize(column) : column.data.length;
}

/** The value of one cell: a number, or a subarray view for tensor cells, or the stored JS value. */
export function cellAt(column: Column, i: number): unknown {
  if (!isNumeric(column.dtype) || column.shape.length === 0) return column.data[i];
  const size = cellSize(column);
  return (column.data as TypedArray).subarray(i * size, (i + 1) * size);
}

export function sliceColumn(column: Column, start: number, end: number): Column {
  if (isNumeric(column.dtype)) {
    const size = cellSize(column);
    return { ...column, data: (column.data as TypedArray).subarray(start * size, end * size) } as Column;
  }
  return { ...column, data: column.data.slice(start, end) } as Column;
}

/** Gather rows `indices` (any order, repeats allowed) into a new column. */
export function takeColumn(column: Column, indices: ArrayLike<number>): Column {
  if (isNumeric(column.dtype)) {
    const size = cellSize(column);
    const src = column.data as TypedArray;
    const out = allocTyped(column.dtype, indices.length * size);
    if (size === 1) for (let i = 0; i < indices.length; i++) out[i] = src[indices[i]];
    else
      for (let i = 0; i < indices.length; i++)
        out.set(src.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
    return { dtype: column.dtype, shape: column.shape, data: out };
  }
  const src = column.data as readonly unknown[];
  const out = new Array<unknown>(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = src[indices[i]];
  return { dtype: column.dtype, shape: [], data: out } as Column;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** The dtype two columns of the same name promote to when blocks are concatenated. */
export function promote(a: Column, b: Column): { dtype: DType; shape: readonly number[] } {
  if (a.dtype === b.dtype && sameShape(a.shape, b.shape)) return { dtype: a.dtype, shape: a.shape };
  if (isNumeric(a.dtype) && isNumeric(b.dtype) && sameShape(a.shape, b.shape)) {
    const order: NumericDType[] = ['uint8', 'int32', 'float32', 'float64'];
    const rank = Math.max(order.indexOf(a.dtype), order.indexOf(b.dtype));
    // int32 and float32 together need float64 to hold both exactly.
    const mixed =
      (a.dtype === 'int32' && b.dtype === 'float32') || (a.dtype === 'float32' && b.dtype === 'int32');
    return { dtype: mixed ? 'float64' : order[rank], shape: a.shape };
  }
  return { dtype: 'object', shape: [] };
}

/** Concatenate same-named columns, promoting dtypes (numeric widening, else `object`). */
export function concatColumns(name: string, columns: readonly Column[], lengths: readonly number[]): Column {
  let target: { dtype: DType; shape: readonly number[] } = columns[0];
  for (const c of columns.slice(1)) target = promote(target as Column, c);
  const total = lengths.reduce((s, n) => s + n, 0);
  if (isNumeric(target.dtype)) {
    let size = 1;
    for (const d of target.shape) size *= d;
    const out = allocTyped(target.dtype, total * size);
    let offset = 0;
    for (const c of columns) {
      out.set(c.data as TypedArray, offset);
      offset += c.data.length;
    }
    return { dtype: target.dtype, shape: target.shape, data: out };
  }
  const out: unknown[] = [];
  columns.forEach((c, k) => {
    if (isNumeric(c.dtype) && c.shape.length > 0) for (let i = 0; i < lengths[k]; i++) out.push(cellAt(c, i));
    else for (let i = 0; i < c.data.length; i++) out.push((c.data as ArrayLike<unknown>)[i]);
  });
  if (out.length !== total)
    throw new DataSchemaError(`column "${name}" has ${out.length} values, expected ${total}`, name);
  return { dtype: target.dtype, shape: [], data: out } as Column;
}

export function columnBytes(column: Column): number {
  if (isNumeric(column.dtype)) return (column.data as TypedArray).byteLength;
  if (column.dtype === 'string') {
    let n = 0;
    for (const s of column.data as readonly string[]) n += 16 + 2 * (s?.length ?? 0);
    return n;
  }
  if (column.dtype === 'bool') return column.data.length;
  let n = 0;
  for (const v of column.data as readonly unknown[]) n += approxValueBytes(v);
  return n;
}

function approxValueBytes(v: unknown): number {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return 8;
  if (typeof v === 'string') return 16 + 2 * v.length;
  if (ArrayBuffer.isView(v)) return v.byteLength;
  if (Array.isArray(v)) return 16 + v.reduce((s: number, x) => s + approxValueBytes(x), 0);
  return 64;
}
