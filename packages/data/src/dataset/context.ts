import { isInitialized } from '@manta/core';
import { isWorkerProcess } from '@manta/core/internal';
import type { Executor } from '../executor/index.ts';
import { CoreExecutor, StreamingExecutor } from '../executor/index.ts';

let defaultExecutor: Executor | undefined;
let local: StreamingExecutor | undefined;
let core: CoreExecutor | undefined;

/**
 * The executor datasets use when none was given: the one set with `setDefaultExecutor`, else
 * a CoreExecutor when this process is a driver connected with `init()`, else a local
 * StreamingExecutor (no runtime, or inside a worker process such as a training worker).
 */
export function getDefaultExecutor(): Executor {
  if (defaultExecutor) return defaultExecutor;
  if (isInitialized() && !isWorkerProcess()) {
    core ??= new CoreExecutor();
    return core;
  }
  local ??= new StreamingExecutor();
  return local;
}

/** Make `executor` the default for datasets run from now on (`undefined` restores the automatic choice). */
export function setDefaultExecutor(executor: Executor | undefined): void {
  defaultExecutor = executor;
}
