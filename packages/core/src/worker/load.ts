import { FunctionNotFoundError } from '../errors/index.ts';
import { definitionsIn, lookupDefinition } from '../function/index.ts';
import { localModuleUrl } from '../job/module-map.ts';
import type { FunctionDescriptor } from '../protocol/index.ts';

/** Imports the module that defined a remote function or actor class and returns the definition. */
export async function loadDefinition(defined: FunctionDescriptor): Promise<unknown> {
  // A job's module is loaded from this node's copy of the job's package.
  const descriptor = defined.pkg
    ? { ...defined, module: await localModuleUrl(defined.module, defined.pkg) }
    : defined;
  let found = lookupDefinition(descriptor);
  if (found) return found;
  try {
    const namespace = (await import(descriptor.module)) as Record<string, unknown>;
    nameExports(namespace);
  } catch (error) {
    throw new FunctionNotFoundError(
      `cannot import module ${descriptor.module} to find '${descriptor.name}': ${(error as Error).message}`,
    );
  }
  found = lookupDefinition(descriptor);
  if (found) return found;
  const known = definitionsIn(descriptor.module);
  throw new FunctionNotFoundError(
    `module ${descriptor.module} defines no remote function or actor '${descriptor.name}' (key ${descriptor.key}); ` +
      `it defines: ${known.length > 0 ? known.join(', ') : 'none'}. Define it at the top level of the module with ` +
      'remote(import.meta.url, ...) or actor(import.meta.url, ...), unconditionally.',
  );
}

/** Names anonymous definitions after the export that holds them, for readable errors and logs. */
function nameExports(namespace: Record<string, unknown>): void {
  for (const [exportName, value] of Object.entries(namespace)) {
    const descriptor = (value as { descriptor?: FunctionDescriptor } | null)?.descriptor;
    if (descriptor && typeof descriptor.name === 'string' && /^(anonymous|Actor|)$/.test(descriptor.name)) {
      descriptor.name = exportName;
    }
  }
}
