import type { Block } from '../block/index.ts';
import type { PlanNode } from '../plan/index.ts';
import type { ReadTask } from '../source/index.ts';

/**
 * Runs a logical plan and streams its output blocks in order. The local StreamingExecutor runs
 * everything in this process; a core-backed executor can run the same plan's block functions
 * as remote tasks and actor pools behind the same interface.
 */
export interface Executor {
  readonly name: string;
  execute(plan: PlanNode): BlockStream;
}

/** Output of one execution: the blocks, in order, and live counters. */
export interface BlockStream extends AsyncIterable<Block> {
  readonly stats: ExecutionStats;
}

export interface ExecutionStats {
  /** Bytes and blocks currently held by the pipeline (read, queued, in operators, handed out). */
  inFlightBytes: number;
  inFlightBlocks: number;
  peakInFlightBytes: number;
  peakInFlightBlocks: number;
  /** Bytes held by barrier operators (shuffle, sort...) that must see all data; outside the budget. */
  peakMaterializedBytes: number;
  blocksRead: number;
  rowsRead: number;
  blocksOutput: number;
  rowsOutput: number;
  /** Reads let past the budget because nothing else could make progress. */
  forcedAdmissions: number;
  /** Per operator, in plan order (sources first): what it has output so far. */
  operators: OperatorStats[];
}

export interface OperatorStats {
  readonly name: string;
  rows: number;
  blocks: number;
  /** Rows the operator will output, when known (a source's estimate). */
  totalRows: number | undefined;
  /** performance.now() when the execution started. */
  readonly startedAt: number;
}

/** Limits for the streaming executor. */
export interface StreamingLimits {
  /** Bound on bytes held by the pipeline at once (default 256 MiB). */
  readonly maxInFlightBytes: number;
  /** Bound on blocks held by the pipeline at once (default 64). */
  readonly maxInFlightBlocks: number;
  /** Read tasks (and remote map tasks) run at once (default 4). */
  readonly readConcurrency: number;
  /**
   * Output blocks in plan order (default true). `false` lets a fast block pass a slow one, for
   * throughput when order does not matter; the rows are the same.
   */
  readonly preserveOrder: boolean;
  /**
   * Progress bars per operator on stderr: `auto` (default) draws them when stdout and stderr
   * are terminals (not in CI, nor with MANTA_DATA_PROGRESS=0).
   */
  readonly progress: boolean | 'auto';
}

/** A stage run elsewhere: `slots` blocks at once, each on a slot in [0, slots). */
export interface RemoteStage {
  readonly slots: number;
  run(block: Block, slot: number): Promise<Block>;
}

/**
 * Hooks that move stages out of this process (a core-backed executor): each returns undefined
 * for a stage that must run here. `close` ends what the execution started (actor pools).
 */
export interface StageRunners {
  readTask?(task: ReadTask): ReadTask;
  oneToOne?(node: Extract<PlanNode, { kind: 'oneToOne' }>): RemoteStage | undefined;
  mapBatches?(node: Extract<PlanNode, { kind: 'mapBatches' }>): RemoteStage | undefined;
  close(): Promise<void>;
}
