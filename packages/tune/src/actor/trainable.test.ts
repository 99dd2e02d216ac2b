import { ConfigError } from '@manta/core';
import { describe, expect, it } from 'vitest';
import { trainable, trainableMeta, withResources } from './trainable.ts';

export const declaredFn = trainable(import.meta.url, function objective(config: Record<string, unknown>) {
  return { v: Number(config.a) * 2 };
});
export const DeclaredClass = trainable(
  import.meta.url,
  class Steps {
    step() {
      return { done: true };
    }
  },
);

describe('trainable declarations', () => {
  it('trainable - keeps name and behaviour, and records where workers find it', () => {
    expect(declaredFn.name).toBe('objective');
    expect(declaredFn({ a: 2 })).toEqual({ v: 4 });
    const meta = trainableMeta(declaredFn);
    expect(meta.descriptor?.module).toBe(import.meta.url);
    expect(meta.resources).toBeUndefined();
    expect(new DeclaredClass().step()).toEqual({ done: true });
    expect(typeof DeclaredClass.prototype.step).toBe('function');
    expect(trainableMeta(() => 1).descriptor).toBeUndefined();
  });

  it('trainable - withResources returns a copy holding the resources; bad arguments throw ConfigError', () => {
    const wide = withResources(declaredFn, { CPU: 2, GPU: 1 });
    expect(trainableMeta(wide)).toEqual({
      descriptor: trainableMeta(declaredFn).descriptor,
      resources: { CPU: 2, GPU: 1 },
    });
    expect(trainableMeta(declaredFn).resources).toBeUndefined();
    expect(wide({ a: 1 })).toEqual({ v: 2 });
    expect(() => withResources(declaredFn, { CPU: -1 })).toThrow(ConfigError);
    expect(() => trainable('not-a-url', () => 1)).toThrow(ConfigError);
    expect(() => trainable(import.meta.url, 5 as never)).toThrow(/function or a class/);
  });
});
