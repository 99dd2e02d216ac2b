import { DataSchemaError } from '../errors/index.ts';
import { cellAt, columnBytes, concatColumns, sliceColumn, takeColumn } from './column.ts';
import type { Block, Column, Row, Schema } from './types.ts';

export const EMPTY_BLOCK: Block = { numRows: 0, columns: {} };

export function blockSchema(block: Block): Schema {
  return {
    fields: Object.entries(block.columns).map(([name, c]) => ({ name, dtype: c.dtype, shape: [...c.shape] })),
  };
}

export function blockBytes(block: Block): number {
  let n = 0;
  for (const c of Object.values(block.columns)) n += columnBytes(c);
  return n;
}

/** Rows [start, end). Numeric columns are zero-copy views. */
export function sliceBlock(block: Block, start: number, end: number): Block {
  const s = Math.max(0, Math.min(start, block.numRows));
  const e = Math.max(s, Math.min(end, block.numRows));
  if (s === 0 && e === block.numRows) return block;
  const columns: Record<string, Column> = {};
  for (const [name, c] of Object.entries(block.columns)) columns[name] = sliceColumn(c, s, e);
  return { numRows: e - s, columns };
}

export function takeRows(block: Block, indices: ArrayLike<number>): Block {
  const columns: Record<string, Column> = {};
  for (const [name, c] of Object.entries(block.columns)) columns[name] = takeColumn(c, indices);
  return { numRows: indices.length, columns };
}

/** Concatenate blocks row-wise. Column sets must match (empty blocks are skipped). */
export function concatBlocks(blocks: readonly Block[]): Block {
  const parts = blocks.filter((b) => b.numRows > 0);
  if (parts.length === 0) return blocks[0] ?? EMPTY_BLOCK;
  if (parts.length === 1) return parts[0];
  const names = Object.keys(parts[0].columns);
  for (const b of parts) {
    const other = Object.keys(b.columns);
    const missing = names.find((n) => !(n in b.columns)) ?? other.find((n) => !names.includes(n));
    if (missing !== undefined) {
      throw new DataSchemaError(
        `cannot concatenate blocks with different columns: [${names}] vs [${other}] ("${missing}")`,
        missing,
      );
    }
  }
  const lengths = parts.map((b) => b.numRows);
  const columns: Record<string, Column> = {};
  for (const name of names)
    columns[name] = concatColumns(
      name,
      parts.map((b) => b.columns[name]),
      lengths,
    );
  return { numRows: lengths.reduce((s, n) => s + n, 0), columns };
}

/** One row as an object; tensor cells are subarray views into the block. */
export function rowAt(block: Block, i: number): Row {
  const row: Row = {};
  for (const name in block.columns) row[name] = cellAt(block.columns[name], i);
  return row;
}

export function* blockRows(block: Block): Generator<Row> {
  for (let i = 0; i < block.numRows; i++) yield rowAt(block, i);
}

export function selectColumns(block: Block, names: readonly string[]): Block {
  const columns: Record<string, Column> = {};
  for (const name of names) {
    const c = block.columns[name];
    if (!c)
      throw new DataSchemaError(`no column "${name}"; columns are [${Object.keys(block.columns)}]`, name);
    columns[name] = c;
  }
  return { numRows: block.numRows, columns };
}
