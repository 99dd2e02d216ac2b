import type { Block } from '../block/index.ts';
import type { Datasource, ReadTask } from '../source/index.ts';
import type { InFlightBudget } from './budget.ts';

const DEFAULT_BLOCK_ESTIMATE = 1 << 20;

interface TaskState {
  readonly task: ReadTask;
  readonly queue: Block[];
  done: boolean;
  error: unknown;
  lastBytes: number | undefined;
  received: number;
}

/** A task's own guess of its block size. */
function planned(task: ReadTask): number {
  const { estimatedBytes, estimatedBlocks } = task;
  return estimatedBytes === undefined
    ? DEFAULT_BLOCK_ESTIMATE
    : estimatedBytes / Math.max(1, estimatedBlocks ?? 1);
}

/**
 * Learns how far planned sizes are from real block sizes (a CIFAR file's bytes become four
 * times as many bytes of float32 pixels), so later reads are admitted at their real size.
 */
class SizeModel {
  private planned = 0;
  private actual = 0;

  get observed(): boolean {
    return this.actual > 0;
  }

  estimate(state: TaskState): number {
    if (state.lastBytes !== undefined) return state.lastBytes;
    const base = planned(state.task);
    return this.planned > 0 ? (base * this.actual) / this.planned : base;
  }

  record(task: ReadTask, bytes: number): void {
    this.planned += planned(task);
    this.actual += bytes;
  }
}

/**
 * Run a source's read tasks, `concurrency` at a time, yielding their blocks in task order.
 * Every block pull first waits for room in the budget; the head task is forced through only
 * when the consumer would otherwise wait forever. Until one block has shown real sizes,
 * reads go one at a time.
 */
export async function* readStage(
  source: Datasource,
  budget: InFlightBudget,
  concurrency: number,
): AsyncGenerator<Block> {
  const tasks = await source.readTasks();
  const states: TaskState[] = tasks.map((task) => ({
    task,
    queue: [],
    done: false,
    error: undefined,
    lastBytes: undefined,
    received: 0,
  }));
  const sizes = new SizeModel();
  let head = 0;
  let nextTask = 0;
  let reading = 0;
  let stopped = false;
  let wake: (() => void) | undefined;
  const signal = () => {
    wake?.();
    wake = undefined;
  };
  const probing = () => !sizes.observed && reading > 0;

  const runTask = async (index: number) => {
    const state = states[index];
    const it = state.task.read()[Symbol.asyncIterator]();
    try {
      for (;;) {
        // A task that gave all the blocks it planned is only asked whether it is done: no room needed.
        const expectDone = state.received >= (state.task.estimatedBlocks ?? Number.POSITIVE_INFINITY);
        // Reserves `est` while reading; the block replaces the reservation when it arrives.
        const starved = () => index === head && state.queue.length === 0;
        const est = expectDone
          ? 0
          : await budget.admit(
              () => sizes.estimate(state),
              starved,
              () => stopped,
              probing,
              () => reading++,
            );
        if (est === undefined || stopped) return;
        if (expectDone) reading++;
        budget.setBusy(1);
        let r: IteratorResult<Block>;
        try {
          r = await it.next();
        } finally {
          reading--;
          if (!expectDone) budget.add(-est, -1);
          budget.setBusy(-1);
        }
        if (r.done || stopped) return;
        const bytes = budget.bytesOf(r.value);
        budget.track(r.value);
        sizes.record(state.task, bytes);
        budget.stats.blocksRead++;
        budget.stats.rowsRead += r.value.numRows;
        state.lastBytes = bytes;
        state.received++;
        state.queue.push(r.value);
        signal();
      }
    } catch (error) {
      state.error = error;
    } finally {
      state.done = true;
      signal();
      if (stopped) await it.return?.();
    }
  };

  const lane = async () => {
    while (!stopped && nextTask < states.length) await runTask(nextTask++);
  };
  const lanes = Array.from({ length: Math.min(concurrency, states.length) }, lane);

  try {
    while (head < states.length && !budget.cancelled) {
      const state = states[head];
      const block = state.queue.shift();
      if (block) {
        yield block;
        continue;
      }
      if (state.error !== undefined) throw state.error;
      if (state.done) {
        head++;
        continue;
      }
      // About to wait on the head task: its lane may now be the one that must be let through.
      const waiting = new Promise<void>((resolve) => {
        wake = resolve;
      });
      budget.notify();
      await Promise.race([waiting, budget.whenCancelled]);
    }
  } finally {
    stopped = true;
    budget.notify();
    for (const s of states) for (const b of s.queue.splice(0)) budget.release(b);
    await Promise.allSettled(lanes);
  }
}
