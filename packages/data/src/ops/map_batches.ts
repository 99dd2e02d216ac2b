import type { Block } from '../block/index.ts';
import { concatBlocks, sliceBlock } from '../block/index.ts';
import { DataOperatorError } from '../errors/index.ts';
import { fromBatch, toBatch } from './batch_format.ts';
import type { Batch, BatchFormat, BatchOutput, BlockFn, TaskContext } from './types.ts';

export type BatchFn = (batch: Batch) => BatchOutput | Promise<BatchOutput>;
/** A callable class: constructed once per worker, then called per batch. */
export interface BatchCallable {
  call(batch: Batch): BatchOutput | Promise<BatchOutput>;
}
export type BatchClass = new (...args: never[]) => BatchCallable;

export interface MapBatchesSpec {
  readonly fn: BatchFn | BatchClass;
  readonly constructorArgs?: readonly unknown[];
  /** Rows per batch; `undefined` passes each bundle whole. */
  readonly batchSize: number | undefined;
  readonly batchFormat: BatchFormat;
  readonly operator: string;
}

export function isClass(fn: unknown): fn is BatchClass {
  return typeof fn === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/**
 * The mapBatches operator over one bundle: cut it into `batchSize` batches, call the function
 * (or the worker's instance of the class) on each, and join the outputs into one block.
 */
export function mapBatchesFn(spec: MapBatchesSpec): BlockFn {
  const key = {};
  return async (bundle: Block, ctx: TaskContext) => {
    let call: BatchFn;
    if (isClass(spec.fn)) {
      const Cls = spec.fn;
      const instance = await ctx.instance(key, () => {
        try {
          return new Cls(...((spec.constructorArgs ?? []) as never[]));
        } catch (cause) {
          throw new DataOperatorError(`${spec.operator} constructor`, cause);
        }
      });
      if (typeof instance.call !== 'function') {
        throw new DataOperatorError(
          spec.operator,
          new TypeError(`class ${Cls.name} has no call(batch) method`),
        );
      }
      call = (batch) => instance.call(batch);
    } else call = spec.fn as BatchFn;
    const size = spec.batchSize ?? Math.max(1, bundle.numRows);
    const outputs: Block[] = [];
    for (let start = 0; start < bundle.numRows; start += size) {
      const batch = toBatch(sliceBlock(bundle, start, start + size), spec.batchFormat);
      let result: BatchOutput;
      try {
        result = await call(batch);
      } catch (cause) {
        throw cause instanceof DataOperatorError ? cause : new DataOperatorError(spec.operator, cause);
      }
      outputs.push(fromBatch(result, spec.operator));
    }
    return concatBlocks(outputs);
  };
}
