import type { Block } from '../block/index.ts';
import { RowQueue } from '../block/index.ts';
import type { InFlightBudget } from './budget.ts';

/**
 * Regroup a block stream into bundles whose row count is a multiple of `batchSize` (the last
 * may be short), so batches never straddle tasks. Without a batch size, blocks pass as they are.
 */
export async function* bundleBlocks(
  input: AsyncIterable<Block>,
  batchSize: number | undefined,
  budget: InFlightBudget,
  stage: unknown = bundleBlocks,
): AsyncGenerator<Block> {
  if (batchSize === undefined) {
    yield* input;
    return;
  }
  const queue = new RowQueue();
  // Account for a bundle: hold it, then release every source block it fully consumed.
  const emit = (rows: number): Block => {
    const before = queue.blocks();
    const bundle = queue.take(rows);
    // Bundles that straddle blocks are copies: count that as this stage's growth.
    budget.noteGrowth(stage, budget.bytesOf(bundle), budget.track(bundle));
    const still = new Set(queue.blocks());
    for (const b of before) if (!still.has(b)) budget.release(b);
    return bundle;
  };
  for await (const block of input) {
    if (block.numRows === 0) {
      budget.release(block);
      continue;
    }
    queue.push(block);
    if (queue.rows >= batchSize) yield emit(Math.floor(queue.rows / batchSize) * batchSize);
  }
  if (queue.rows > 0) yield emit(queue.rows);
}
