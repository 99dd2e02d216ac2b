export {
  blockBytes,
  blockRows,
  blockSchema,
  concatBlocks,
  EMPTY_BLOCK,
  rowAt,
  selectColumns,
  sliceBlock,
  takeRows,
} from './block.ts';
export type { ColumnInput, Tensor } from './build.ts';
export { blockFromColumns, blockFromRows, inferColumn, toColumn } from './build.ts';
export {
  allocTyped,
  cellAt,
  cellSize,
  columnBytes,
  columnLength,
  dtypeOfTyped,
  isNumeric,
} from './column.ts';
export { RowQueue } from './row_queue.ts';
export type { Block, Column, Field, NumericDType, Row, Schema, TypedArray } from './types.ts';
export { DType } from './types.ts';
