import type { Block } from '../block/index.ts';
import type { PlanNode } from '../plan/index.ts';

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
}

/** Limits for the streaming executor. */
export interface StreamingLimits {
  /** Bound on bytes held by the pipeline at once (default 256 MiB). */
  readonly maxInFlightBytes: number;
  /** Bound on blocks held by the pipeline at once (default 64). */
  readonly maxInFlightBlocks: number;
  /** Read tasks run at once (default 4). */
  readonly readConcurrency: number;
}
