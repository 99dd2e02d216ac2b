import type { FunctionDescriptor } from '@manta/core/internal';
import type { Row } from '../block/index.ts';
import { DataOperatorError } from '../errors/index.ts';
import { mapBatchesFn } from './map_batches.ts';
import { resolveDescriptor } from './remote_target.ts';
import { filterRowsFn, flatMapRowsFn, mapRowsFn } from './rows.ts';
import type { BatchFormat, BlockFn } from './types.ts';

/**
 * A transform stage as plain data: what a worker process needs to build the same BlockFn the
 * driver would run (the user's function or class is found again by module URL and name).
 */
export type StageSpec =
  | {
      readonly op: 'map' | 'filter' | 'flatMap';
      readonly target: FunctionDescriptor;
      readonly operator: string;
    }
  | {
      readonly op: 'mapBatches';
      readonly target: FunctionDescriptor;
      readonly operator: string;
      readonly constructorArgs?: readonly unknown[];
      readonly batchSize?: number;
      readonly batchFormat: BatchFormat;
    };

/** Build the stage's BlockFn in this process. */
export async function blockFnOf(spec: StageSpec): Promise<BlockFn> {
  const fn = await resolveDescriptor(spec.target, spec.operator);
  if (spec.op === 'mapBatches') {
    return mapBatchesFn({
      fn: fn as object,
      constructorArgs: spec.constructorArgs,
      batchSize: spec.batchSize,
      batchFormat: spec.batchFormat,
      operator: spec.operator,
    });
  }
  if (typeof fn !== 'function') {
    throw new DataOperatorError(spec.operator, new TypeError(`${spec.target.name} is not a function`));
  }
  switch (spec.op) {
    case 'map':
      return mapRowsFn(fn as (row: Row) => Row, spec.operator);
    case 'filter':
      return filterRowsFn(fn as (row: Row) => boolean, spec.operator);
    case 'flatMap':
      return flatMapRowsFn(fn as (row: Row) => Iterable<Row>, spec.operator);
  }
}
