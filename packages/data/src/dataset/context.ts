import type { Executor } from '../executor/index.ts';
import { StreamingExecutor } from '../executor/index.ts';

let defaultExecutor: Executor | undefined;

/** The executor new datasets use: a local StreamingExecutor unless one was set. */
export function getDefaultExecutor(): Executor {
  defaultExecutor ??= new StreamingExecutor();
  return defaultExecutor;
}

/** Make `executor` the default for datasets created from now on (a core-backed one, say). */
export function setDefaultExecutor(executor: Executor | undefined): void {
  defaultExecutor = executor;
}
