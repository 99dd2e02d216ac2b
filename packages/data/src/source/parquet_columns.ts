import type { DecodedArray } from 'hyparquet';
import type { Column, Field, NumericDType, TypedArray } from '../block/index.ts';
import { allocTyped, inferColumn } from '../block/index.ts';

/** Key in Parquet key/value metadata where Manta keeps dtypes and tensor shapes. */
export const MANTA_SCHEMA_KEY = 'manta.schema';

/** Turn a hyparquet column into a block column, restoring tensor columns Manta wrote. */
export function fromParquetColumn(
  values: DecodedArray,
  field: Field | undefined,
  physicalType?: string,
): Column {
  if (
    field &&
    field.shape.length > 0 &&
    (field.dtype === 'float32' ||
      field.dtype === 'float64' ||
      field.dtype === 'int32' ||
      field.dtype === 'uint8')
  ) {
    return tensorFromBytes(values as Uint8Array[], field.dtype, field.shape);
  }
  const column = (Array.isArray(values) && numberArrayColumn(values, physicalType)) || columnOf(values);
  if (
    field &&
    column.dtype !== field.dtype &&
    column.dtype !== 'object' &&
    (field.dtype === 'int32' || field.dtype === 'uint8' || field.dtype === 'float32')
  ) {
    const data = allocTyped(field.dtype, column.data.length);
    data.set(column.data as TypedArray);
    return { dtype: field.dtype, shape: [], data };
  }
  return column;
}

/** Any other hyparquet column: typed arrays kept, bigints narrowed when safe, the rest inferred. */
function columnOf(values: DecodedArray): Column {
  if (values instanceof Float32Array) return { dtype: 'float32', shape: [], data: values };
  if (values instanceof Float64Array) return { dtype: 'float64', shape: [], data: values };
  if (values instanceof Int32Array) return { dtype: 'int32', shape: [], data: values };
  if (values instanceof Uint8Array) return { dtype: 'uint8', shape: [], data: values };
  if (values instanceof Uint32Array) return { dtype: 'float64', shape: [], data: Float64Array.from(values) };
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) return fromBigInts(values);
  return inferColumn(
    Array.from(values as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? safeNumber(v) : v)),
  );
}

function numberArrayColumn(values: readonly unknown[], physicalType: string | undefined): Column | undefined {
  if (physicalType === 'INT32') {
    const data = numbersTo(new Int32Array(values.length), values);
    return data && { dtype: 'int32', shape: [], data };
  }
  if (physicalType === 'FLOAT') {
    const data = numbersTo(new Float32Array(values.length), values);
    return data && { dtype: 'float32', shape: [], data };
  }
  return undefined;
}

/** Fill `out` from an array of numbers in one pass; undefined if any value is not a number (nulls). */
function numbersTo<T extends Int32Array | Float32Array>(out: T, values: readonly unknown[]): T | undefined {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') return undefined;
    out[i] = v;
  }
  return out;
}

function safeNumber(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
}

function fromBigInts(values: BigInt64Array | BigUint64Array): Column {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const n = safeNumber(values[i]);
    if (typeof n === 'bigint') return { dtype: 'object', shape: [], data: Array.from(values) };
    out[i] = n;
  }
  return { dtype: 'float64', shape: [], data: out };
}

function tensorFromBytes(
  cells: ArrayLike<Uint8Array>,
  dtype: NumericDType,
  shape: readonly number[],
): Column {
  let size = 1;
  for (const d of shape) size *= d;
  const data = allocTyped(dtype, cells.length * size);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < cells.length; i++) bytes.set(cells[i], i * size * data.BYTES_PER_ELEMENT);
  return { dtype, shape, data };
}
