import { ConfigError } from '@manta/core';
import { type FunctionDescriptor, registerDefinition } from '@manta/core/internal';

/** A training loop that worker processes can locate: declare it with `trainLoop(import.meta.url, fn)`. */
export interface TrainLoop<C = Record<string, unknown>> {
  (config: C): unknown;
  readonly descriptor: FunctionDescriptor;
}

/**
 * Declares a training loop, at the top level of a module, so that every training worker can
 * import the module and run it:
 *
 *   export const loop = trainLoop(import.meta.url, async (config) => { ... report(...) });
 */
export function trainLoop<C = Record<string, unknown>>(
  moduleUrl: string,
  fn: (config: C) => unknown,
  options: { name?: string } = {},
): TrainLoop<C> {
  if (typeof moduleUrl !== 'string' || !moduleUrl.startsWith('file:')) {
    throw new ConfigError(
      `trainLoop(): the first argument must be the module's URL (import.meta.url), got ${JSON.stringify(moduleUrl)}`,
    );
  }
  if (typeof fn !== 'function')
    throw new ConfigError(`trainLoop(): the second argument must be a function, got ${typeof fn}`);
  const wrapped = ((config: C) => fn(config)) as TrainLoop<C> & { fn: typeof fn };
  wrapped.fn = fn;
  const descriptor = registerDefinition(moduleUrl, options.name, wrapped, fn.name || 'trainLoop');
  Object.defineProperty(wrapped, 'descriptor', { value: descriptor });
  return wrapped;
}

export function isTrainLoop(value: unknown): value is TrainLoop {
  return typeof value === 'function' && typeof (value as { descriptor?: unknown }).descriptor === 'object';
}
