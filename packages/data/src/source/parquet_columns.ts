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
  let column: Column;
  const numbers = Array.isArray(values) && values.every((v) => typeof v === 'number');
  if (numbers && physicalType === 'INT32')
    column = { dtype: 'int32', shape: [], data: Int32Array.from(values as number[]) };
  else if (numbers && physicalType === 'FLOAT')
    column = { dtype: 'float32', shape: [], data: Float32Array.from(values as number[]) };
  else if (values instanceof Float32Array) column = { dtype: 'float32', shape: [], data: values };
  else if (values instanceof Float64Array) column = { dtype: 'float64', shape: [], data: values };
  else if (values instanceof Int32Array) column = { dtype: 'int32', shape: [], data: values };
  else if (values instanceof Uint8Array) column = { dtype: 'uint8', shape: [], data: values };
  else if (values instanceof Uint32Array)
    column = { dtype: 'float64', shape: [], data: Float64Array.from(values) };
  else if (values instanceof BigInt64Array || values instanceof BigUint64Array) column = fromBigInts(values);
  else
    column = inferColumn(
      Array.from(values as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? safeNumber(v) : v)),
    );
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
