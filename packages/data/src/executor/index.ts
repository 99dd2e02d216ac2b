export { emptyStats, InFlightBudget } from './budget.ts';
export { DEFAULT_LIMITS, StreamingExecutor } from './streaming.ts';
export type { BlockStream, ExecutionStats, Executor, StreamingLimits } from './types.ts';
export { LocalTaskContext } from './worker_context.ts';
