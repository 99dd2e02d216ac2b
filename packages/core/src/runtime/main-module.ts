import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WORKER_FLAG = Symbol.for('manta.worker');

export function markWorkerProcess(): void {
  (globalThis as Record<symbol, unknown>)[WORKER_FLAG] = true;
}

export function isWorkerProcess(): boolean {
  return (globalThis as Record<symbol, unknown>)[WORKER_FLAG] === true;
}

/**
 * True when `moduleUrl` is the program being run (`tsx main.ts`), false when a worker imports
 * it to find a remote function. The pattern for a script that defines remote functions:
 *
 *   export const square = remote(import.meta.url, async (x: number) => x * x);
 *   if (isMainModule(import.meta.url)) await main();
 */
export function isMainModule(moduleUrl: string): boolean {
  if (isWorkerProcess()) return false;
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(fileURLToPath(moduleUrl)) === realpathSync(entry);
  } catch {
    return false;
  }
}
