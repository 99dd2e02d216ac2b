import { DataSchemaError } from '../errors/index.ts';
import { allocTyped, cellSize, columnLength, dtypeOfTyped } from './column.ts';
import type { Block, Column, NumericDType, Row, TypedArray } from './types.ts';

/** A dense tensor: `shape[0]` is the number of rows, the rest is each row's cell shape. */
export interface Tensor {
  readonly data: TypedArray;
  readonly shape: readonly number[];
}

/** What `fromArrays`/`blockFromColumns` accept for one column. */
export type ColumnInput = TypedArray | readonly unknown[] | Tensor | Column;

function isColumn(v: unknown): v is Column {
  return typeof v === 'object' && v !== null && 'dtype' in v && 'data' in v && 'shape' in v;
}

/** Turn one columnar input into a Column: typed arrays stay as they are (no copy). */
export function toColumn(name: string, input: ColumnInput): Column {
  if (isColumn(input)) return input;
  if (ArrayBuffer.isView(input)) {
    const dtype = dtypeOfTyped(input);
    if (!dtype)
      throw new DataSchemaError(`column "${name}": unsupported typed array ${input.constructor.name}`, name);
    return { dtype, shape: [], data: input };
  }
  if (!Array.isArray(input) && typeof input === 'object' && 'data' in input && 'shape' in input) {
    const dtype = dtypeOfTyped(input.data);
    if (!dtype) throw new DataSchemaError(`column "${name}": unsupported typed array`, name);
    const size = input.shape.reduce((p, d) => p * d, 1);
    if (input.shape.length === 0 || size !== input.data.length) {
      throw new DataSchemaError(
        `column "${name}": tensor of shape [${input.shape}] needs ${size} values, got ${input.data.length}`,
        name,
      );
    }
    return { dtype, shape: input.shape.slice(1), data: input.data };
  }
  return inferColumn(input as readonly unknown[]);
}

/** Build a block from named columns; every column must have the same number of rows. */
export function blockFromColumns(columns: Readonly<Record<string, ColumnInput>>): Block {
  const out: Record<string, Column> = {};
  let numRows: number | undefined;
  for (const [name, input] of Object.entries(columns)) {
    const column = toColumn(name, input);
    const length = columnLength(column);
    if (!Number.isInteger(length)) {
      throw new DataSchemaError(
        `column "${name}": ${column.data.length} values do not divide into cells of shape [${column.shape}]`,
        name,
      );
    }
    if (numRows !== undefined && length !== numRows) {
      throw new DataSchemaError(
        `column "${name}" has ${length} rows, expected ${numRows} like the columns before it`,
        name,
      );
    }
    numRows = length;
    out[name] = column;
  }
  return { numRows: numRows ?? 0, columns: out };
}

/** Build a block from row objects, inferring each column's type (see `inferColumn`). */
export function blockFromRows(rows: readonly Row[]): Block {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      throw new DataSchemaError(
        `rows must be plain objects, got ${Array.isArray(row) ? 'an array' : typeof row}`,
      );
    }
    for (const key of Object.keys(row)) {
      if (seen.has(key)) continue;
      seen.add(key);
      names.push(key);
    }
  }
  const columns: Record<string, Column> = {};
  for (const name of names) columns[name] = inferColumn(rows.map((r) => r[name]));
  return { numRows: rows.length, columns };
}

/**
 * Infer a column from JS values: numbers -> float64, booleans -> bool, strings -> string,
 * equal-length typed arrays of one kind -> a tensor column; anything else (mixed, null) -> object.
 */
export function inferColumn(values: readonly unknown[]): Column {
  if (values.length === 0) return { dtype: 'object', shape: [], data: [] };
  const first = values[0];
  if (typeof first === 'number' && values.every((v) => typeof v === 'number')) {
    return { dtype: 'float64', shape: [], data: Float64Array.from(values as number[]) };
  }
  if (typeof first === 'string' && values.every((v) => typeof v === 'string')) {
    return { dtype: 'string', shape: [], data: values as string[] };
  }
  if (typeof first === 'boolean' && values.every((v) => typeof v === 'boolean')) {
    return { dtype: 'bool', shape: [], data: values as boolean[] };
  }
  if (ArrayBuffer.isView(first)) {
    const dtype = dtypeOfTyped(first);
    const size = (first as TypedArray).length;
    if (
      dtype &&
      values.every(
        (v) => ArrayBuffer.isView(v) && dtypeOfTyped(v) === dtype && (v as TypedArray).length === size,
      )
    ) {
      return stackTyped(dtype, values as TypedArray[], [size]);
    }
  }
  return { dtype: 'object', shape: [], data: values };
}

function stackTyped(dtype: NumericDType, cells: readonly TypedArray[], shape: readonly number[]): Column {
  const column = { dtype, shape, data: allocTyped(dtype, 0) } as Column;
  const size = cellSize(column);
  const data = allocTyped(dtype, cells.length * size);
  for (let i = 0; i < cells.length; i++) data.set(cells[i], i * size);
  return { dtype, shape, data };
}
