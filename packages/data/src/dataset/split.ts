import { parseConfig } from '@manta/core/internal';
import type { Block, Row } from '../block/index.ts';
import { concatBlocks, sliceBlock } from '../block/index.ts';
import { DataUsageError } from '../errors/index.ts';
import type { Batch, ColumnBatch } from '../ops/index.ts';
import type { Dataset } from './dataset.ts';
import { batchesOf, rowsOf } from './iterate.ts';
import { streamingSplitSchema } from './options.ts';
import type { IterBatchesOptions, StreamingSplitOptions } from './types.ts';

/** Rows [start, end) of a block list, as views. */
export function sliceRows(blocks: readonly Block[], start: number, end: number): Block[] {
  const out: Block[] = [];
  let offset = 0;
  for (const b of blocks) {
    const s = Math.max(start, offset);
    const e = Math.min(end, offset + b.numRows);
    if (e > s) out.push(sliceBlock(b, s - offset, e - offset));
    offset += b.numRows;
  }
  return out;
}

/** Cut blocks into `n` contiguous shards of nearly equal rows (`equal`: exactly equal, remainder dropped). */
export function splitBlocks(blocks: readonly Block[], n: number, equal: boolean): Block[][] {
  const total = blocks.reduce((s, b) => s + b.numRows, 0);
  const per = Math.floor(total / n);
  return Array.from({ length: n }, (_, k) =>
    equal
      ? sliceRows(blocks, k * per, (k + 1) * per)
      : sliceRows(blocks, Math.floor((k * total) / n), Math.floor(((k + 1) * total) / n)),
  );
}

/** One shard of a streaming split. Each `iterBlocks`/`iterRows`/`iterBatches` call is one epoch. */
export class DataIterator {
  private epoch = 0;
  constructor(
    private readonly coordinator: SplitCoordinator,
    readonly shard: number,
  ) {}

  iterBlocks(): AsyncIterable<Block> {
    const epoch = this.epoch++;
    return { [Symbol.asyncIterator]: () => this.coordinator.blocks(this.shard, epoch) };
  }

  iterRows(): AsyncIterable<Row> {
    const blocks = this.iterBlocks();
    return { [Symbol.asyncIterator]: () => rowsOf(blocks) };
  }

  iterBatches<B extends Batch = ColumnBatch>(options: IterBatchesOptions = {}): AsyncIterable<B> {
    const blocks = this.iterBlocks();
    return { [Symbol.asyncIterator]: () => batchesOf(blocks, options) as AsyncGenerator<B> };
  }
}

interface EpochState {
  readonly epoch: number;
  readonly iterator: AsyncIterator<Block>;
  exhausted: boolean;
  readonly finished: Set<number>;
  readonly queues: Block[][];
  leftover: Block[];
}

/**
 * Hands the blocks of one execution per epoch to `n` shards. Without `equal` a block goes to
 * whichever shard asks first (load balancing); with `equal` each block is cut into n equal
 * pieces and leftover rows are pooled, so shards get the same row count. Epochs run in
 * lockstep: epoch e+1 starts once every shard has finished epoch e.
 */
export class SplitCoordinator {
  private current: EpochState | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private changed: (() => void)[] = [];
  private readonly options: ReturnType<typeof parseSplit>;

  constructor(
    private readonly dataset: Dataset,
    readonly n: number,
    options: StreamingSplitOptions,
  ) {
    this.options = parseSplit(options);
  }

  async *blocks(shard: number, epoch: number): AsyncGenerator<Block> {
    const state = await this.enter(epoch);
    try {
      for (;;) {
        const block = await this.serial(() => this.next(state, shard));
        if (!block) return;
        yield block;
      }
    } finally {
      state.finished.add(shard);
      this.notify();
    }
  }

  private async enter(epoch: number): Promise<EpochState> {
    for (;;) {
      const cur = this.current;
      if (cur?.epoch === epoch) return cur;
      if (cur && cur.epoch > epoch)
        throw new DataUsageError(
          `streamingSplit: a shard asked for epoch ${epoch} but the split is at epoch ${cur.epoch}`,
        );
      if (!cur || (cur.epoch === epoch - 1 && cur.finished.size === this.n)) {
        if (cur && !cur.exhausted) await cur.iterator.return?.();
        const { shuffleEachEpoch } = this.options;
        const ds = shuffleEachEpoch
          ? this.dataset.randomShuffle({ seed: shuffleEachEpoch.seed + epoch })
          : this.dataset;
        this.current = {
          epoch,
          iterator: ds.iterBlocks()[Symbol.asyncIterator](),
          exhausted: false,
          finished: new Set(),
          queues: Array.from({ length: this.n }, () => []),
          leftover: [],
        };
        this.notify();
        return this.current;
      }
      await new Promise<void>((resolve) => this.changed.push(resolve));
    }
  }

  private notify(): void {
    const waiters = this.changed;
    this.changed = [];
    for (const w of waiters) w();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async next(state: EpochState, shard: number): Promise<Block | undefined> {
    for (;;) {
      const queued = state.queues[shard].shift();
      if (queued) return queued;
      if (state.exhausted) return undefined;
      const r = await state.iterator.next();
      if (r.done) {
        state.exhausted = true;
        continue;
      }
      if (!this.options.equal) return r.value;
      this.deal(state, r.value);
    }
  }

  /** Equal mode: n equal pieces per block; the rest pools until it also divides by n. */
  private deal(state: EpochState, block: Block): void {
    const per = Math.floor(block.numRows / this.n);
    for (let k = 0; k < this.n && per > 0; k++)
      state.queues[k].push(sliceBlock(block, k * per, (k + 1) * per));
    const rest = sliceBlock(block, per * this.n, block.numRows);
    if (rest.numRows === 0) return;
    state.leftover.push(rest);
    const pooled = state.leftover.reduce((s, b) => s + b.numRows, 0);
    if (pooled < this.n) return;
    const all = concatBlocks(state.leftover);
    const share = Math.floor(all.numRows / this.n);
    for (let k = 0; k < this.n; k++) state.queues[k].push(sliceBlock(all, k * share, (k + 1) * share));
    const tail = sliceBlock(all, share * this.n, all.numRows);
    state.leftover = tail.numRows > 0 ? [tail] : [];
  }
}

function parseSplit(options: StreamingSplitOptions) {
  return parseConfig(streamingSplitSchema, options, 'streamingSplit options');
}

export function streamingSplit(dataset: Dataset, n: number, options: StreamingSplitOptions): DataIterator[] {
  const coordinator = new SplitCoordinator(dataset, n, options);
  return Array.from({ length: n }, (_, k) => new DataIterator(coordinator, k));
}
