export { emptyStats, InFlightBudget } from './budget.ts';
export type { CoreExecutorOptions } from './core/core_executor.ts';
export { CoreExecutor } from './core/core_executor.ts';
export { DEFAULT_LIMITS, StreamingExecutor } from './streaming.ts';
export type {
  BlockStream,
  ExecutionStats,
  Executor,
  RemoteStage,
  StageRunners,
  StreamingLimits,
} from './types.ts';
export { LocalTaskContext } from './worker_context.ts';
