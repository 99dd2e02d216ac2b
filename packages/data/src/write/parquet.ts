import type { ColumnSource } from 'hyparquet-writer';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { Block, Column, TypedArray } from '../block/index.ts';
import { blockSchema, cellAt, isNumeric } from '../block/index.ts';
import { MANTA_SCHEMA_KEY } from '../source/index.ts';
import { plainValue } from './values.ts';

function columnSource(name: string, c: Column, numRows: number): ColumnSource {
  if (isNumeric(c.dtype) && c.shape.length > 0) {
    // Tensor cells as raw little-endian bytes; dtype and shape go in the file's metadata.
    const cells: Uint8Array[] = [];
    for (let i = 0; i < numRows; i++) {
      const cell = cellAt(c, i) as TypedArray;
      cells.push(new Uint8Array(cell.buffer.slice(cell.byteOffset, cell.byteOffset + cell.byteLength)));
    }
    return { name, data: cells, type: 'BYTE_ARRAY', nullable: false };
  }
  switch (c.dtype) {
    case 'float32':
      return { name, data: c.data as Float32Array, type: 'FLOAT', nullable: false };
    case 'float64':
      return { name, data: c.data as Float64Array, type: 'DOUBLE', nullable: false };
    case 'int32':
      return { name, data: c.data as Int32Array, type: 'INT32', nullable: false };
    case 'uint8':
      return { name, data: Int32Array.from(c.data as Uint8Array), type: 'INT32', nullable: false };
    case 'bool':
      return { name, data: [...(c.data as boolean[])], type: 'BOOLEAN' };
    case 'string':
      return { name, data: [...(c.data as string[])], type: 'STRING' };
    default:
      return { name, data: (c.data as unknown[]).map(plainValue), type: 'JSON' };
  }
}

/** A block as a Parquet file (one row group); Manta dtypes and tensor shapes ride in key/value metadata. */
export function encodeParquet(block: Block): Uint8Array {
  const columnData = Object.entries(block.columns).map(([name, c]) => columnSource(name, c, block.numRows));
  const buffer = parquetWriteBuffer({
    columnData,
    kvMetadata: [{ key: MANTA_SCHEMA_KEY, value: JSON.stringify(blockSchema(block)) }],
  });
  return new Uint8Array(buffer);
}
