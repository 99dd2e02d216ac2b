import { ConfigError } from '@manta/core';
import { type FunctionDescriptor, registerDefinition } from '@manta/core/internal';
import type { Trainable } from '../executor/index.ts';

/** Resources a trial's actor holds (CPU, GPU and custom resources); default `{ CPU: 1 }`. */
export type TrialResources = Readonly<Record<string, number>>;

/** What Tune knows about a declared trainable: where workers find it, what a trial holds. */
export interface TrainableMeta {
  readonly descriptor: FunctionDescriptor | undefined;
  readonly resources: TrialResources | undefined;
}

/** The registered definition, found again by workers through `loadDefinition`. */
export interface TrainableDefinition {
  readonly trainable: Trainable;
}

const META = Symbol.for('manta.tune.trainable');
type Tagged = { [META]?: TrainableMeta };

export function trainableMeta(trainable: Trainable): TrainableMeta {
  return (trainable as Tagged)[META] ?? { descriptor: undefined, resources: undefined };
}

/** A trainable that behaves as `base` and carries `meta` (the base itself is left untouched). */
function derive<T extends Trainable>(base: T, meta: TrainableMeta): T {
  const isClass = typeof base.prototype?.step === 'function';
  const derived = isClass
    ? class extends (base as unknown as new () => object) {}
    : function (this: unknown, config: Record<string, unknown>) {
        return (base as (c: unknown) => unknown).call(this, config);
      };
  Object.defineProperty(derived, 'name', { value: base.name || 'trainable' });
  Object.defineProperty(derived, META, { value: meta });
  return derived as unknown as T;
}

/**
 * Declares a trainable (a function or a class with step()) at the top level of a module, so
 * that Tune can run its trials in cluster actor processes:
 *
 *   export const objective = trainable(import.meta.url, async (config) => { ... report(...) });
 */
export function trainable<T extends Trainable>(moduleUrl: string, fn: T, options: { name?: string } = {}): T {
  if (typeof moduleUrl !== 'string' || !moduleUrl.startsWith('file:')) {
    throw new ConfigError(
      `trainable(): the first argument must be the module's URL (import.meta.url), got ${JSON.stringify(moduleUrl)}`,
      ['moduleUrl'],
    );
  }
  if (typeof fn !== 'function') {
    throw new ConfigError(
      `trainable(): the second argument must be a function or a class with step(), got ${typeof fn}`,
      ['trainable'],
    );
  }
  const definition: TrainableDefinition = { trainable: fn };
  const descriptor = registerDefinition(moduleUrl, options.name, definition, fn.name || 'trainable');
  return derive(fn, { descriptor, resources: trainableMeta(fn).resources });
}

/** The same trainable, with each trial holding `resources` (e.g. `{ CPU: 2, GPU: 1 }`). */
export function withResources<T extends Trainable>(trainable: T, resources: TrialResources): T {
  for (const [key, value] of Object.entries(resources)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new ConfigError(
        `withResources(): resources.${key} must be a finite number >= 0, got ${JSON.stringify(value)}`,
        [`resources.${key}`],
      );
    }
  }
  return derive(trainable, { descriptor: trainableMeta(trainable).descriptor, resources: { ...resources } });
}
