import type { Block } from '../block/index.ts';
import { concatBlocks, sliceBlock } from '../block/index.ts';
import { DataOperatorError } from '../errors/index.ts';
import { fromBatch, toBatch } from './batch_format.ts';
import { resolveTarget } from './remote_target.ts';
import type { Batch, BatchFormat, BatchOutput, BlockFn, TaskContext } from './types.ts';

export type BatchFn = (batch: Batch) => BatchOutput | Promise<BatchOutput>;
/** A callable class: constructed once per worker, then called per batch. */
export interface BatchCallable {
  call(batch: Batch): BatchOutput | Promise<BatchOutput>;
}
export type BatchClass = new (...args: never[]) => BatchCallable;

export interface MapBatchesSpec {
  /** A function or class, or a core remote function / actor class wrapping one. */
  readonly fn: BatchFn | BatchClass | object;
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
  let target: Promise<unknown> | undefined;
  return async (bundle: Block, ctx: TaskContext) => {
    target ??= resolveTarget(spec.fn, spec.operator);
    const fn = await target;
    let call: BatchFn;
    if (isClass(fn)) {
      const Cls = fn;
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
    } else if (typeof fn === 'function') call = fn as BatchFn;
    else throw new DataOperatorError(spec.operator, new TypeError('expected a function or a class'));
    const size = spec.batchSize ?? Math.max(1, bundle.numRows);
    // One batch covering the whole bundle needs no slicing and no concatenation.
    if (size >= bundle.numRows) return fromBatch(await runBatch(call, bundle, spec), spec.operator);
    const outputs: Block[] = [];
    for (let start = 0; start < bundle.numRows; start += size) {
      outputs.push(
        fromBatch(await runBatch(call, sliceBlock(bundle, start, start + size), spec), spec.operator),
      );
    }
    return concatBlocks(outputs);
  };
}

async function runBatch(call: BatchFn, block: Block, spec: MapBatchesSpec): Promise<BatchOutput> {
  try {
    return await call(toBatch(block, spec.batchFormat));
  } catch (cause) {
    throw cause instanceof DataOperatorError ? cause : new DataOperatorError(spec.operator, cause);
  }
}
