import type { Block, Row } from '../block/index.ts';
import { blockFromRows, rowAt, takeRows } from '../block/index.ts';
import { DataOperatorError } from '../errors/index.ts';
import type { BlockFn } from './types.ts';

function call<T>(operator: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw new DataOperatorError(operator, cause);
  }
}

export function mapRowsFn(fn: (row: Row) => Row, operator = 'map'): BlockFn {
  return (block: Block) => {
    const out = new Array<Row>(block.numRows);
    for (let i = 0; i < block.numRows; i++) out[i] = call(operator, () => fn(rowAt(block, i)));
    return blockFromRows(out);
  };
}

export function flatMapRowsFn(fn: (row: Row) => Iterable<Row>, operator = 'flatMap'): BlockFn {
  return (block: Block) => {
    const out: Row[] = [];
    for (let i = 0; i < block.numRows; i++)
      for (const r of call(operator, () => fn(rowAt(block, i)))) out.push(r);
    return blockFromRows(out);
  };
}

export function filterRowsFn(fn: (row: Row) => boolean, operator = 'filter'): BlockFn {
  return (block: Block) => {
    const keep: number[] = [];
    for (let i = 0; i < block.numRows; i++) if (call(operator, () => fn(rowAt(block, i)))) keep.push(i);
    return keep.length === block.numRows ? block : takeRows(block, keep);
  };
}
