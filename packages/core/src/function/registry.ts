// module-map only (not job/index.ts): every worker loads this, and needs none of the job tooling.
import { packageOf } from '../job/module-map.ts';
import type { FunctionDescriptor } from '../protocol/index.ts';

/**
 * Remote functions and actor classes are found in a worker by re-importing the module that
 * defined them: every `remote(import.meta.url, ...)` / `actor(import.meta.url, ...)` call
 * registers its definition under (module URL, key). The key is the `name` option when given,
 * else the definition's ordinal in its module — the same in the driver and in a worker, since
 * both evaluate the same module top to bottom.
 */
const definitions = new Map<string, unknown>();
const ordinals = new Map<string, number>();

export function registerDefinition(
  moduleUrl: string,
  name: string | undefined,
  definition: unknown,
  label: string,
): FunctionDescriptor {
  const ordinal = ordinals.get(moduleUrl) ?? 0;
  ordinals.set(moduleUrl, ordinal + 1);
  const key = name ?? `#${ordinal}`;
  definitions.set(`${moduleUrl}\u0000${key}`, definition);
  const pkg = packageOf(moduleUrl);
  return { module: moduleUrl, key, name: name ?? label, ...(pkg && { pkg }) };
}

export function lookupDefinition(descriptor: FunctionDescriptor): unknown {
  return definitions.get(`${descriptor.module}\u0000${descriptor.key}`);
}

export function definitionsIn(moduleUrl: string): string[] {
  const prefix = `${moduleUrl}\u0000`;
  return [...definitions.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
}
