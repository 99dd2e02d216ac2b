import type { Block } from '../block/index.ts';
import { cellAt, concatBlocks, takeRows } from '../block/index.ts';
import { DataSchemaError } from '../errors/index.ts';
import { splitEvenly } from './shuffle.ts';
import type { AllToAllFn } from './types.ts';

/** Compare two cell values: numbers and strings naturally, null/undefined last. */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number')
    return Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : 1;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Row order of `block` sorted by `keys` (stable). */
export function sortedOrder(block: Block, keys: readonly string[], descending: boolean): number[] {
  const cols = keys.map((k) => {
    const c = block.columns[k];
    if (!c)
      throw new DataSchemaError(
        `sort key "${k}" is not a column; columns are [${Object.keys(block.columns)}]`,
        k,
      );
    return c;
  });
  const order = Array.from({ length: block.numRows }, (_, i) => i);
  const sign = descending ? -1 : 1;
  order.sort((i, j) => {
    for (const c of cols) {
      const d = compareValues(cellAt(c, i), cellAt(c, j));
      if (d !== 0) return sign * d;
    }
    return i - j;
  });
  return order;
}

export function sortFn(keys: readonly string[], descending: boolean): AllToAllFn {
  return (blocks) => {
    const all = concatBlocks(blocks);
    if (all.numRows === 0) return [];
    return splitEvenly(takeRows(all, sortedOrder(all, keys, descending)), Math.max(1, blocks.length));
  };
}
