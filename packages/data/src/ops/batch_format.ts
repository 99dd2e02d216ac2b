import type { Block, ColumnInput, Tensor, TypedArray } from '../block/index.ts';
import { blockFromColumns, blockFromRows, blockRows, isNumeric } from '../block/index.ts';
import { DataSchemaError } from '../errors/index.ts';
import type { Batch, BatchFormat, BatchOutput } from './types.ts';

/** Present a block as a batch in `format`. Columnar formats share the block's memory. */
export function toBatch(block: Block, format: BatchFormat): Batch {
  if (format === 'rows') return [...blockRows(block)];
  const out: Record<string, TypedArray | Tensor | unknown[]> = {};
  for (const [name, c] of Object.entries(block.columns)) {
    if (!isNumeric(c.dtype)) out[name] = c.data as unknown[];
    else if (c.shape.length > 0 || format === 'tensor')
      out[name] = { data: c.data as TypedArray, shape: [block.numRows, ...c.shape] };
    else out[name] = c.data as TypedArray;
  }
  return out;
}

/** Turn what a batch function returned back into a block. */
export function fromBatch(output: BatchOutput, operator: string): Block {
  if (Array.isArray(output)) return blockFromRows(output);
  if (typeof output !== 'object' || output === null) {
    throw new DataSchemaError(
      `${operator} must return rows (an array of objects) or columns (an object of arrays), got ${output === null ? 'null' : typeof output}`,
    );
  }
  return blockFromColumns(output as Record<string, ColumnInput>);
}
