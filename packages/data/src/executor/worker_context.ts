import type { TaskContext } from '../ops/index.ts';

/** A local worker slot: builds each keyed instance once and reuses it for later bundles. */
export class LocalTaskContext implements TaskContext {
  private readonly instances = new Map<object, Promise<unknown>>();

  constructor(readonly workerId: number) {}

  instance<T>(key: object, create: () => T | Promise<T>): Promise<T> {
    let p = this.instances.get(key) as Promise<T> | undefined;
    if (!p) {
      p = Promise.resolve().then(create);
      this.instances.set(key, p);
    }
    return p;
  }

  /** Call `dispose()` (or `close()`) on instances that have one. */
  async dispose(): Promise<void> {
    for (const p of this.instances.values()) {
      const value = (await p.catch(() => undefined)) as
        | { dispose?: () => unknown; close?: () => unknown }
        | undefined;
      if (value && typeof value.dispose === 'function') await value.dispose();
      else if (value && typeof value.close === 'function') await value.close();
    }
    this.instances.clear();
  }
}
