import type { FunctionDescriptor } from '@manta/core/internal';
import { loadDefinition } from '@manta/core/internal';
import { DataOperatorError } from '../errors/index.ts';

/**
 * User code reaches worker processes the way core remote code does: by module URL and name.
 * A transform given as a core `remote(import.meta.url, fn)` function or an `actor(import.meta.url,
 * Class)` class carries its descriptor, so a core-backed executor can run it in a worker; a
 * plain closure or class can only run in the process that holds it.
 */
export interface RemoteTarget {
  readonly descriptor: FunctionDescriptor;
  /** `fn` for a remote function; absent for an actor class (the class is found by descriptor). */
  readonly fn?: unknown;
}

/** Plain classes that @manta/data registered as actors itself (OnnxPredictor). */
const registeredClasses = new WeakMap<object, FunctionDescriptor>();

export function registerBatchClass(cls: object, descriptor: FunctionDescriptor): void {
  registeredClasses.set(cls, descriptor);
}

function isDescriptor(value: unknown): value is FunctionDescriptor {
  const d = value as FunctionDescriptor | null;
  return typeof d === 'object' && d !== null && typeof d.module === 'string' && typeof d.key === 'string';
}

/** A core RemoteFunction or ActorClass (they carry a descriptor and a `remote` method). */
export function isRemoteTarget(value: unknown): value is RemoteTarget {
  const v = value as { descriptor?: unknown; remote?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.remote === 'function' && isDescriptor(v.descriptor);
}

/** Where a worker finds `target`, when it can. */
export function descriptorOf(target: unknown): FunctionDescriptor | undefined {
  if (isRemoteTarget(target)) return target.descriptor;
  if (typeof target === 'function') return registeredClasses.get(target);
  return undefined;
}

/** The function or class behind `target`, in this process. */
export async function resolveTarget(target: unknown, operator: string): Promise<unknown> {
  if (!isRemoteTarget(target)) return target;
  if (typeof target.fn === 'function') return target.fn;
  return resolveDescriptor(target.descriptor, operator);
}

/** Import the definition a descriptor names (in a worker, or in the driver for local runs). */
export async function resolveDescriptor(descriptor: FunctionDescriptor, operator: string): Promise<unknown> {
  let definition: unknown;
  try {
    definition = await loadDefinition(descriptor);
  } catch (cause) {
    throw new DataOperatorError(operator, cause);
  }
  const d = definition as { fn?: unknown; cls?: unknown };
  return d.fn ?? d.cls;
}

/** Local name for messages: the function's or class's name. */
export function targetName(target: unknown): string {
  if (isRemoteTarget(target)) return target.descriptor.name;
  return (target as { name?: string }).name || 'fn';
}
