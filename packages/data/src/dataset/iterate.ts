import { parseConfig } from '@manta/core/internal';
import type { Block, Row } from '../block/index.ts';
import { blockRows } from '../block/index.ts';
import type { Batch } from '../ops/index.ts';
import { toBatch } from '../ops/index.ts';
import { prefetch, rebatch } from './batcher.ts';
import { iterBatchesSchema } from './options.ts';
import type { IterBatchesOptions } from './types.ts';

/** Rows of a block stream, as objects (tensor cells are views). */
export async function* rowsOf(blocks: AsyncIterable<Block>): AsyncGenerator<Row> {
  for await (const block of blocks) yield* blockRows(block);
}

/** Batches of a block stream: re-cut, optionally locally shuffled, prefetched, formatted. */
export async function* batchesOf(
  blocks: AsyncIterable<Block>,
  options: IterBatchesOptions = {},
): AsyncGenerator<Batch> {
  const opts = parseConfig(iterBatchesSchema, options, 'iterBatches options');
  const batches = rebatch(blocks, opts);
  for await (const block of prefetch(batches, opts.prefetchBatches)) yield toBatch(block, opts.batchFormat);
}
