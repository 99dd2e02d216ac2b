import type { Block } from '../block/index.ts';
import { concatBlocks, sliceBlock } from '../block/index.ts';
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
  let pending: { block: Block; offset: number }[] = [];
  let pendingRows = 0;
  const take = (rows: number): Block => {
    const parts: Block[] = [];
    let need = rows;
    while (need > 0) {
      const head = pending[0];
      const n = Math.min(need, head.block.numRows - head.offset);
      parts.push(sliceBlock(head.block, head.offset, head.offset + n));
      head.offset += n;
      need -= n;
      if (head.offset === head.block.numRows) pending.shift();
    }
    pendingRows -= rows;
    return parts.length === 1 ? parts[0] : concatBlocks(parts);
  };
  // Account for a bundle: hold it, then release every source block it fully consumed.
  const emit = (rows: number): Block => {
    const before = pending.map((p) => p.block);
    const bundle = take(rows);
    // Bundles that straddle blocks are copies: count that as this stage's growth.
    budget.noteGrowth(stage, budget.bytesOf(bundle), budget.track(bundle));
    const still = new Set(pending.map((p) => p.block));
    for (const b of before) if (!still.has(b)) budget.release(b);
    return bundle;
  };
  for await (const block of input) {
    if (block.numRows === 0) {
      budget.release(block);
      continue;
    }
    pending.push({ block, offset: 0 });
    pendingRows += block.numRows;
    if (pendingRows >= batchSize) yield emit(Math.floor(pendingRows / batchSize) * batchSize);
  }
  if (pendingRows > 0) yield emit(pendingRows);
  pending = [];
}
