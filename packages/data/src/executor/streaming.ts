import type { Block } from '../block/index.ts';
import { sliceBlock } from '../block/index.ts';
import { DataSchemaError } from '../errors/index.ts';
import { zipBlocks } from '../ops/index.ts';
import type { PlanNode } from '../plan/index.ts';
import { InFlightBudget } from './budget.ts';
import { bundleBlocks } from './bundle.ts';
import { orderedPool, unorderedPool } from './ordered_pool.ts';
import { counted, ProgressDisplay, progressEnabled } from './progress.ts';
import { readStage } from './read_stage.ts';
import type {
  BlockStream,
  ExecutionStats,
  Executor,
  OperatorStats,
  StageRunners,
  StreamingLimits,
} from './types.ts';
import { LocalTaskContext } from './worker_context.ts';

export const DEFAULT_LIMITS: StreamingLimits = {
  maxInFlightBytes: 256 << 20,
  maxInFlightBlocks: 64,
  readConcurrency: 4,
  preserveOrder: true,
  progress: 'auto',
};

/** Per-execution progress: counters per operator, and the bars when drawn. */
interface Progress {
  readonly startedAt: number;
  readonly display: ProgressDisplay | undefined;
}

const LOCAL: StageRunners = { close: async () => {} };

/**
 * Runs a plan in this process as a pipeline of async generators. Reads are gated by an
 * InFlightBudget (backpressure); mapBatches runs bundles on `concurrency` local worker slots,
 * each with its own instances; barrier operators materialize their input.
 */
export class StreamingExecutor implements Executor {
  readonly name: string = 'streaming';
  readonly limits: StreamingLimits;

  constructor(limits: Partial<StreamingLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  execute(plan: PlanNode): BlockStream {
    const limits = this.limits;
    const budget = new InFlightBudget(limits);
    return {
      stats: budget.stats,
      [Symbol.asyncIterator]: () => {
        const contexts: LocalTaskContext[] = [];
        const runners = this.stageRunners(limits);
        const progress: Progress = {
          startedAt: performance.now(),
          display: progressEnabled(limits.progress) ? new ProgressDisplay() : undefined,
        };
        const root = runNode(plan, budget, contexts, limits, runners, progress);
        return outputIterator(root, budget, contexts, runners, progress);
      },
    };
  }

  /** Where stages run; the local executor runs every one in this process. */
  protected stageRunners(_limits: StreamingLimits): StageRunners {
    return LOCAL;
  }
}

function outputIterator(
  root: AsyncGenerator<Block>,
  budget: InFlightBudget,
  contexts: LocalTaskContext[],
  runners: StageRunners,
  progress: Progress,
): AsyncIterator<Block> {
  let last: Block | undefined;
  let finished = false;
  const finish = async () => {
    if (last) budget.release(last);
    last = undefined;
    if (finished) return;
    finished = true;
    progress.display?.stop();
    await Promise.all([...contexts.map((c) => c.dispose()), runners.close()]);
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

/** Operators get a progress line (sources, transforms, barriers); plumbing nodes do not. */
function operatorName(node: PlanNode): string | undefined {
  switch (node.kind) {
    case 'read':
      return node.source.name;
    case 'oneToOne':
    case 'mapBatches':
    case 'allToAll':
      return node.name;
    default:
      return undefined;
  }
}

function runNode(
  node: PlanNode,
  budget: InFlightBudget,
  contexts: LocalTaskContext[],
  limits: StreamingLimits,
  runners: StageRunners,
  progress: Progress,
): AsyncGenerator<Block> {
  const name = operatorName(node);
  const op: OperatorStats | undefined = name
    ? { name, rows: 0, blocks: 0, totalRows: undefined, startedAt: progress.startedAt }
    : undefined;
  // Created root first: unshift keeps the operators in plan order, sources first.
  if (op) budget.stats.operators.unshift(op);
  const stage = runStage(node, budget, contexts, limits, runners, progress, op);
  return op ? counted(op, stage, progress.display) : stage;
}

async function* runStage(
  node: PlanNode,
  budget: InFlightBudget,
  contexts: LocalTaskContext[],
  limits: StreamingLimits,
  runners: StageRunners,
  progress: Progress,
  op: OperatorStats | undefined,
): AsyncGenerator<Block> {
  const run = (n: PlanNode) => runNode(n, budget, contexts, limits, runners, progress);
  const pool = limits.preserveOrder ? orderedPool : unorderedPool;
  switch (node.kind) {
    case 'read': {
      const { source } = node;
      const remoteRead = runners.readTask;
      const shipped = {
        name: source.name,
        readTasks: async () => {
          const tasks = await source.readTasks();
          if (op && tasks.every((t) => t.estimatedRows !== undefined))
            op.totalRows = tasks.reduce((sum, t) => sum + (t.estimatedRows ?? 0), 0);
          return remoteRead ? tasks.map(remoteRead) : tasks;
        },
      };
      yield* readStage(shipped, budget, limits.readConcurrency);
      return;
    }
    case 'oneToOne': {
      const remote = runners.oneToOne?.(node);
      if (remote) {
        budget.stage(node);
        yield* pool(run(node.input), remote.slots, async (block, slot) => {
          budget.setBusy(1);
          try {
            const out = await remote.run(block, slot);
            budget.handoff(node, block, out);
            return out;
          } finally {
            budget.setBusy(-1);
          }
        });
        return;
      }
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
      const remote = runners.mapBatches?.(node);
      const workers = remote
        ? []
        : Array.from({ length: node.concurrency }, (_, i) => new LocalTaskContext(i));
      contexts.push(...workers);
      budget.stage(node);
      const bundleStage = {};
      budget.stage(bundleStage);
      const bundles = bundleBlocks(run(node.input), node.batchSize, budget, bundleStage);
      yield* pool(bundles, remote?.slots ?? node.concurrency, async (bundle, worker) => {
        budget.setBusy(1);
        try {
          const out = remote ? await remote.run(bundle, worker) : await node.fn(bundle, workers[worker]);
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
