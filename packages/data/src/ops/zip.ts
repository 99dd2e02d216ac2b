import type { Block, Column } from '../block/index.ts';
import { DataSchemaError } from '../errors/index.ts';

/** Join two equal-length blocks column-wise; a right column whose name is taken gets `_1` (then `_2`...). */
export function zipBlocks(left: Block, right: Block): Block {
  if (left.numRows !== right.numRows) {
    throw new DataSchemaError(`zip needs blocks of equal rows, got ${left.numRows} and ${right.numRows}`);
  }
  const columns: Record<string, Column> = { ...left.columns };
  for (const [name, c] of Object.entries(right.columns)) {
    let out = name;
    for (let k = 1; out in columns; k++) out = `${name}_${k}`;
    columns[out] = c;
  }
  return { numRows: left.numRows, columns };
}
