import type { Block } from '../block/index.ts';
import { sliceBlock } from '../block/index.ts';
import { DataSchemaError } from '../errors/index.ts';
import { zipBlocks } from '../ops/index.ts';
import type { PlanNode } from '../plan/index.ts';
import { InFlightBudget } from './budget.ts';
import { bundleBlocks } from './bundle.ts';
import { orderedPool } from './ordered_pool.ts';
import { readStage } from './read_stage.ts';
import type { BlockStream, ExecutionStats, Executor, StreamingLimits } from './types.ts';
import { LocalTaskContext } from './worker_context.ts';

export const DEFAULT_LIMITS: StreamingLimits = {
  maxInFlightBytes: 256 << 20,
  maxInFlightBlocks: 64,
  readConcurrency: 4,
};

/**
 * Runs a plan in this process as a pipeline of async generators. Reads are gated by an
 * InFlightBudget (backpressure); mapBatches runs bundles on `concurrency` local worker slots,
 * each with its own instances; barrier operators materialize their input.
 */
export class StreamingExecutor implements Executor {
  readonly name = 'streaming';
  readonly limits: StreamingLimits;

  constructor(limits: Partial<StreamingLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  execute(plan: PlanNode): BlockStream {
    const limits = this.limits;
    const budget = new InFlightBudget(limits);
    const contexts: LocalTaskContext[] = [];
    const run = (node: PlanNode): AsyncGenerator<Block> => runNode(node, budget, contexts, limits);
    return {
      stats: budget.stats,
      [Symbol.asyncIterator]: () => outputIterator(run(plan), budget, contexts),
    };
  }
}

function outputIterator(
  root: AsyncGenerator<Block>,
  budget: InFlightBudget,
  contexts: LocalTaskContext[],
): AsyncIterator<Block> {
  let last: Block | undefined;
  const finish = async () => {
    if (last) budget.release(last);
    last = undefined;
    await Promise.all(contexts.map((c) => c.dispose()));
  };
  return {
    async next() {
      if (last) budget.release(last);
      last = undefined;
      budget.setDemand(1);
      let r: IteratorResult<Block>;
      try {
        r = await root.next();
      } catch (error) {
        await finish();
        throw error;
      } finally {
        budget.setDemand(-1);
      }
      if (r.done) {
        await finish();
        return r;
      }
      last = r.value;
      budget.stats.blocksOutput++;
      budget.stats.rowsOutput += r.value.numRows;
      return r;
    },
    async return() {
      budget.cancel();
      await root.return(undefined);
      await finish();
      return { done: true, value: undefined };
    },
  };
}

async function* runNode(
  node: PlanNode,
  budget: InFlightBudget,
  contexts: LocalTaskContext[],
  limits: StreamingLimits,
): AsyncGenerator<Block> {
  const run = (n: PlanNode) => runNode(n, budget, contexts, limits);
  switch (node.kind) {
    case 'read':
      yield* readStage(node.source, budget, limits.readConcurrency);
      return;
    case 'oneToOne': {
      const ctx = new LocalTaskContext(0);
      contexts.push(ctx);
      budget.stage(node);
      for await (const block of run(node.input)) {
        budget.setBusy(1);
        let out: Block;
        try {
          out = await node.fn(block, ctx);
        } finally {
          budget.setBusy(-1);
        }
        budget.handoff(node, block, out);
        yield out;
      }
      return;
    }
    case 'mapBatches': {
      const workers = Array.from({ length: node.concurrency }, (_, i) => new LocalTaskContext(i));
      contexts.push(...workers);
      budget.stage(node);
      const bundleStage = {};
      budget.stage(bundleStage);
      const bundles = bundleBlocks(run(node.input), node.batchSize, budget, bundleStage);
      yield* orderedPool(bundles, node.concurrency, async (bundle, worker) => {
        budget.setBusy(1);
        try {
          const out = await node.fn(bundle, workers[worker]);
          budget.handoff(node, bundle, out);
          return out;
        } finally {
          budget.setBusy(-1);
        }
      });
      return;
    }
    case 'limit': {
      let left = node.n;
      if (left <= 0) return;
      for await (const block of run(node.input)) {
        const out = block.numRows <= left ? block : sliceBlock(block, 0, left);
        budget.handoff('limit', block, out);
        left -= out.numRows;
        yield out;
        if (left <= 0) return;
      }
      return;
    }
    case 'allToAll': {
      const blocks: Block[] = [];
      let held = 0;
      for await (const block of run(node.input)) {
        blocks.push(block);
        held += budget.bytesOf(block);
        budget.release(block);
        if (held > budget.stats.peakMaterializedBytes) budget.stats.peakMaterializedBytes = held;
      }
      budget.setBusy(1);
      let outputs: Block[];
      try {
        outputs = node.fn(blocks);
      } finally {
        budget.setBusy(-1);
      }
      blocks.length = 0;
      for (const out of outputs) {
        budget.track(out);
        yield out;
      }
      return;
    }
    case 'union':
      for (const input of node.inputs) yield* run(input);
      return;
    case 'zip':
      yield* zipStreams(run(node.left), run(node.right), budget);
      return;
  }
}

async function* zipStreams(
  left: AsyncGenerator<Block>,
  right: AsyncGenerator<Block>,
  budget: InFlightBudget,
): AsyncGenerator<Block> {
  let l: { block: Block; offset: number } | undefined;
  let r: { block: Block; offset: number } | undefined;
  const pull = async (it: AsyncGenerator<Block>) => {
    for (;;) {
      const next = await it.next();
      if (next.done) return undefined;
      if (next.value.numRows > 0) return { block: next.value, offset: 0 };
      budget.release(next.value);
    }
  };
  try {
    for (;;) {
      l ??= await pull(left);
      r ??= await pull(right);
      if (!l || !r) {
        if (l || r)
          throw new DataSchemaError(`zip: the ${l ? 'left' : 'right'} dataset has more rows than the other`);
        return;
      }
      const n = Math.min(l.block.numRows - l.offset, r.block.numRows - r.offset);
      const out = zipBlocks(
        sliceBlock(l.block, l.offset, l.offset + n),
        sliceBlock(r.block, r.offset, r.offset + n),
      );
      budget.track(out);
      l.offset += n;
      r.offset += n;
      if (l.offset === l.block.numRows) {
        budget.release(l.block);
        l = undefined;
      }
      if (r.offset === r.block.numRows) {
        budget.release(r.block);
        r = undefined;
      }
      yield out;
    }
  } finally {
    await Promise.all([left.return(undefined), right.return(undefined)]);
  }
}

export type { ExecutionStats };
