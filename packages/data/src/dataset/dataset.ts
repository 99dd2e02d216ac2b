import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { Block, Row, Schema } from '../block/index.ts';
import { blockSchema, selectColumns } from '../block/index.ts';
import type { BlockStream, Executor } from '../executor/index.ts';
import type {
  AggregateSpec,
  Batch,
  BatchOutput,
  ColumnBatch,
  RemoteTarget,
  StageSpec,
} from '../ops/index.ts';
import {
  aggregateFn,
  descriptorOf,
  filterRowsFn,
  flatMapRowsFn,
  isRemoteTarget,
  mapBatchesFn,
  mapRowsFn,
  repartitionFn,
  shuffleFn,
  singleRow,
  sortFn,
  targetName,
} from '../ops/index.ts';
import type { PlanNode } from '../plan/index.ts';
import { describePlan } from '../plan/index.ts';
import { blocksSource } from '../source/index.ts';
import { getDefaultExecutor } from './context.ts';
import { GroupedData } from './grouped.ts';
import { batchesOf, rowsOf } from './iterate.ts';
import { mapBatchesSchema } from './options.ts';
import type { DataIterator } from './split.ts';
import { splitBlocks, streamingSplit } from './split.ts';
import type { IterBatchesOptions, MapBatchesOptions, StreamingSplitOptions, WriteOptions } from './types.ts';
import { writeBlocks } from './write.ts';

/**
 * A batch function, or a class constructed once per worker whose `call(batch)` runs per batch;
 * or either wrapped by core `remote(import.meta.url, fn)` / `actor(import.meta.url, Class)` so
 * that worker processes can find it (needed to run it on a cluster).
 */
export type MapBatchesTarget<B> =
  | ((batch: B) => BatchOutput | Promise<BatchOutput>)
  | (new (
      ...args: never[]
    ) => { call(batch: B): BatchOutput | Promise<BatchOutput> })
  | RemoteTarget;

/** A row function, or a core `remote(import.meta.url, fn)` wrapping one (runs in workers on a cluster). */
export type RowTarget<R> =
  | ((row: Row) => R)
  | { readonly fn: (row: Row) => R; readonly descriptor: RemoteTarget['descriptor'] };

/** `mapBatches(Class, { compute: actorPool({ size: 2 }) })`: a pool of `size` long-lived workers. */
export function actorPool(options: { size: number }): { kind: 'actors'; size: number } {
  return { kind: 'actors', size: positiveInt('actorPool.size')(options.size) };
}

function rowStage<R>(
  op: 'map' | 'filter' | 'flatMap',
  target: RowTarget<R>,
): { fn: (row: Row) => R; remote?: StageSpec } {
  if (typeof target === 'function') return { fn: target };
  if (!isRemoteTarget(target) || typeof target.fn !== 'function')
    throw new TypeError(`${op}: expected a function or a core remote() function`);
  return {
    fn: target.fn as (row: Row) => R,
    remote: { op, target: target.descriptor, operator: `${op}(${target.descriptor.name})` },
  };
}

const positiveInt = (what: string) => (n: number) => parseConfig(z.number().int().positive(), n, what);

/**
 * A lazy, distributed-ready dataset: transforms build a plan, consumption runs it on the
 * executor as a stream of blocks with bounded memory.
 */
export class Dataset {
  /**
   * @param executor runs the plan; when omitted, the default at execution time: the
   * core-backed executor once `init()` connected this process to a Manta cluster, else the
   * local streaming executor (see `getDefaultExecutor`).
   */
  constructor(
    readonly plan: PlanNode,
    private readonly explicitExecutor?: Executor,
  ) {}

  /** The executor that runs this dataset now. */
  get executor(): Executor {
    return this.explicitExecutor ?? getDefaultExecutor();
  }

  private derive(plan: PlanNode): Dataset {
    return new Dataset(plan, this.explicitExecutor);
  }

  /** The same dataset run by another executor. */
  withExecutor(executor: Executor): Dataset {
    return new Dataset(this.plan, executor);
  }

  map(fn: RowTarget<Row>): Dataset {
    const stage = rowStage('map', fn);
    return this.derive({
      kind: 'oneToOne',
      name: stage.remote?.operator ?? 'map',
      input: this.plan,
      fn: mapRowsFn(stage.fn),
      remote: stage.remote,
    });
  }

  flatMap(fn: RowTarget<Iterable<Row>>): Dataset {
    const stage = rowStage('flatMap', fn);
    return this.derive({
      kind: 'oneToOne',
      name: stage.remote?.operator ?? 'flatMap',
      input: this.plan,
      fn: flatMapRowsFn(stage.fn),
      remote: stage.remote,
    });
  }

  filter(fn: RowTarget<boolean>): Dataset {
    const stage = rowStage('filter', fn);
    return this.derive({
      kind: 'oneToOne',
      name: stage.remote?.operator ?? 'filter',
      input: this.plan,
      fn: filterRowsFn(stage.fn),
      remote: stage.remote,
    });
  }

  selectColumns(names: readonly string[]): Dataset {
    return this.derive({
      kind: 'oneToOne',
      name: 'selectColumns',
      input: this.plan,
      fn: (b) => selectColumns(b, names),
    });
  }

  /**
   * Transform batches. A class is constructed once per worker slot (`concurrency` of them) and
   * reused for every batch it gets: load a model in the constructor, run it in `call`.
   */
  mapBatches<B = ColumnBatch>(fn: MapBatchesTarget<B>, options: MapBatchesOptions = {}): Dataset {
    const opts = parseConfig(mapBatchesSchema, options, 'mapBatches options');
    const name = `mapBatches(${targetName(fn)})`;
    const batchSize = opts.batchSize ?? undefined;
    const blockFn = mapBatchesFn({
      fn,
      constructorArgs: opts.constructorArgs,
      batchSize,
      batchFormat: opts.batchFormat,
      operator: name,
    });
    const descriptor = descriptorOf(fn);
    const compute = opts.compute ?? { kind: 'tasks' as const };
    return this.derive({
      kind: 'mapBatches',
      name,
      input: this.plan,
      fn: blockFn,
      batchSize,
      concurrency: opts.concurrency ?? (compute.kind === 'actors' ? compute.size : 1),
      compute,
      resources: { numCpus: opts.numCpus, numGpus: opts.numGpus },
      remote: descriptor && {
        op: 'mapBatches',
        target: descriptor,
        operator: name,
        constructorArgs: opts.constructorArgs,
        batchSize,
        batchFormat: opts.batchFormat,
      },
    });
  }

  /** Global shuffle; the same seed gives the same order. */
  randomShuffle(options: { seed?: number | string } = {}): Dataset {
    return this.derive({
      kind: 'allToAll',
      name: 'randomShuffle',
      input: this.plan,
      fn: shuffleFn(options.seed),
    });
  }

  repartition(numBlocks: number): Dataset {
    positiveInt('repartition.numBlocks')(numBlocks);
    return this.derive({
      kind: 'allToAll',
      name: `repartition(${numBlocks})`,
      input: this.plan,
      fn: repartitionFn(numBlocks),
    });
  }

  sort(key: string | readonly string[], options: { descending?: boolean } = {}): Dataset {
    const keys = typeof key === 'string' ? [key] : key;
    return this.derive({
      kind: 'allToAll',
      name: `sort(${keys})`,
      input: this.plan,
      fn: sortFn(keys, options.descending ?? false),
    });
  }

  limit(n: number): Dataset {
    parseConfig(z.number().int().nonnegative(), n, 'limit.n');
    return this.derive({ kind: 'limit', input: this.plan, n });
  }

  union(...others: Dataset[]): Dataset {
    return this.derive({ kind: 'union', inputs: [this.plan, ...others.map((o) => o.plan)] });
  }

  /** Column-wise join, row by row; both must have the same number of rows. */
  zip(other: Dataset): Dataset {
    return this.derive({ kind: 'zip', left: this.plan, right: other.plan });
  }

  groupBy(key: string | readonly string[]): GroupedData {
    return new GroupedData(this.plan, (plan) => this.derive(plan), typeof key === 'string' ? [key] : key);
  }

  /** Aggregate the whole dataset into one row, e.g. `aggregate(agg.count(), agg.mean('x'))`. */
  async aggregate(...specs: AggregateSpec[]): Promise<Row> {
    const ds = this.derive({
      kind: 'allToAll',
      name: 'aggregate',
      input: this.plan,
      fn: aggregateFn([], specs),
    });
    const [block] = await ds.blocks();
    return singleRow(block);
  }

  async sum(column: string): Promise<number> {
    return (await this.aggregate({ fn: 'sum', column, name: 'v' })).v as number;
  }

  async mean(column: string): Promise<number | null> {
    return (await this.aggregate({ fn: 'mean', column, name: 'v' })).v as number | null;
  }

  async min(column: string): Promise<unknown> {
    return (await this.aggregate({ fn: 'min', column, name: 'v' })).v;
  }

  async max(column: string): Promise<unknown> {
    return (await this.aggregate({ fn: 'max', column, name: 'v' })).v;
  }

  // ---- consumption -------------------------------------------------------------------

  /** Run the plan; blocks stream in order, and `stats` shows the executor's counters. */
  iterBlocks(): BlockStream {
    return this.executor.execute(this.plan);
  }

  iterRows(): AsyncIterable<Row> {
    return { [Symbol.asyncIterator]: () => rowsOf(this.iterBlocks()) };
  }

  iterBatches<B extends Batch = ColumnBatch>(options: IterBatchesOptions = {}): AsyncIterable<B> {
    return { [Symbol.asyncIterator]: () => batchesOf(this.iterBlocks(), options) as AsyncGenerator<B> };
  }

  async take(n = 20): Promise<Row[]> {
    const rows: Row[] = [];
    if (n <= 0) return rows;
    for await (const row of this.limit(n).iterRows()) rows.push(row);
    return rows;
  }

  async takeAll(): Promise<Row[]> {
    const rows: Row[] = [];
    for await (const row of this.iterRows()) rows.push(row);
    return rows;
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const block of this.iterBlocks()) n += block.numRows;
    return n;
  }

  /** Column names, dtypes and cell shapes (from the first block; undefined when empty). */
  async schema(): Promise<Schema | undefined> {
    for await (const block of this.iterBlocks())
      if (block.numRows > 0 || Object.keys(block.columns).length > 0) return blockSchema(block);
    return undefined;
  }

  /** All output blocks, in order. */
  async blocks(): Promise<Block[]> {
    const out: Block[] = [];
    for await (const block of this.iterBlocks()) out.push(block);
    return out;
  }

  /** Run the plan once and keep the result in memory; later uses do not recompute. */
  async materialize(): Promise<Dataset> {
    return this.derive({ kind: 'read', source: blocksSource(await this.blocks()) });
  }

  /** Split into `n` materialized datasets; `equal` gives each the same rows (dropping the remainder). */
  async split(n: number, options: { equal?: boolean } = {}): Promise<Dataset[]> {
    positiveInt('split.n')(n);
    return splitBlocks(await this.blocks(), n, options.equal ?? false).map((blocks) =>
      this.derive({ kind: 'read', source: blocksSource(blocks) }),
    );
  }

  /**
   * `n` iterators that share one streaming execution per epoch: every row goes to exactly one
   * of them. Each iterator's `iterBatches()`/`iterRows()` call is one epoch.
   */
  streamingSplit(n: number, options: StreamingSplitOptions = {}): DataIterator[] {
    positiveInt('streamingSplit.n')(n);
    return streamingSplit(this, n, options);
  }

  writeParquet(dir: string, options: WriteOptions = {}): Promise<string[]> {
    return writeBlocks(this.iterBlocks(), dir, 'parquet', options.prefix);
  }

  writeCsv(dir: string, options: WriteOptions = {}): Promise<string[]> {
    return writeBlocks(this.iterBlocks(), dir, 'csv', options.prefix);
  }

  writeJsonl(dir: string, options: WriteOptions = {}): Promise<string[]> {
    return writeBlocks(this.iterBlocks(), dir, 'jsonl', options.prefix);
  }

  toString(): string {
    return `Dataset(${describePlan(this.plan)})`;
  }
}
