import type { Block } from '../block/index.ts';
import { concatBlocks, RowQueue, sliceBlock, takeRows } from '../block/index.ts';
import { permutation, rng } from '../ops/index.ts';

export interface RebatchOptions {
  readonly batchSize: number;
  readonly dropLast: boolean;
  /** Keep at least this many rows buffered and draw batches from them in random order. */
  readonly localShuffleBufferSize?: number;
  readonly seed?: number | string;
}

/**
 * Re-cut a block stream into blocks of exactly `batchSize` rows (the last may be short unless
 * `dropLast`). With a local shuffle buffer, rows are shuffled within a window of at least
 * `localShuffleBufferSize` rows: the buffer is permuted whenever it has a batch beyond that.
 */
export async function* rebatch(blocks: AsyncIterable<Block>, options: RebatchOptions): AsyncGenerator<Block> {
  if ((options.localShuffleBufferSize ?? 0) > 0) {
    yield* shuffledRebatch(blocks, options);
    return;
  }
  // Batches inside one block are views of it; only a batch that straddles blocks is copied.
  const { batchSize, dropLast } = options;
  const queue = new RowQueue();
  for await (const block of blocks) {
    queue.push(block);
    while (queue.rows >= batchSize) yield queue.take(batchSize);
  }
  if (queue.rows > 0 && !dropLast) yield queue.take(queue.rows);
}

async function* shuffledRebatch(
  blocks: AsyncIterable<Block>,
  options: RebatchOptions,
): AsyncGenerator<Block> {
  const { batchSize, dropLast, localShuffleBufferSize: window = 0 } = options;
  const random = rng(options.seed);
  let parts: Block[] = [];
  let rows = 0;
  const drain = function* (keep: number, final: boolean): Generator<Block> {
    const buffer = takeRows(concatBlocks(parts), permutation(rows, random));
    let start = 0;
    while (buffer.numRows - start - batchSize >= keep) {
      yield sliceBlock(buffer, start, start + batchSize);
      start += batchSize;
    }
    if (final && start < buffer.numRows && !dropLast) {
      yield sliceBlock(buffer, start, buffer.numRows);
      start = buffer.numRows;
    }
    const rest = sliceBlock(buffer, start, buffer.numRows);
    parts = rest.numRows > 0 ? [rest] : [];
    rows = rest.numRows;
  };
  for await (const block of blocks) {
    if (block.numRows === 0) continue;
    parts.push(block);
    rows += block.numRows;
    if (rows >= window + batchSize) yield* drain(window, false);
  }
  if (rows > 0) yield* drain(0, true);
}

/** Run `source` up to `depth` items ahead of the consumer. */
export async function* prefetch<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  if (depth <= 0) {
    yield* { [Symbol.asyncIterator]: () => it };
    return;
  }
  const ahead: Promise<IteratorResult<T>>[] = [];
  let finished = false;
  try {
    for (;;) {
      while (ahead.length <= depth) {
        const p = it.next();
        p.catch(() => undefined);
        ahead.push(p);
      }
      const r = await (ahead.shift() as Promise<IteratorResult<T>>);
      if (r.done) {
        finished = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!finished) await it.return?.();
  }
}
