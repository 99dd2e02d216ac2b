import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface LocalFile {
  /** Relative to the walked folder, `/`-separated. */
  path: string;
  size: number;
}

/** Every regular file under `dir` (recursive, following no symlinked folders), sorted by path. */
export async function walkLocalFiles(dir: string): Promise<LocalFile[]> {
  const files: LocalFile[] = [];
  async function visit(absolute: string, relative: string): Promise<void> {
    const entries = await readdir(absolute, { withFileTypes: true });
    for (const entry of entries) {
      const childAbsolute = join(absolute, entry.name);
      const childRelative = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) await visit(childAbsolute, childRelative);
      else if (entry.isFile()) files.push({ path: childRelative, size: (await stat(childAbsolute)).size });
      else if (entry.isSymbolicLink()) {
        const target = await stat(childAbsolute).catch(() => undefined);
        if (target?.isFile()) files.push({ path: childRelative, size: target.size });
      }
    }
  }
  await visit(dir, '');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A relative `/` path as a local path under `dir`. */
export function localPathOf(dir: string, relative: string): string {
  return relative === '' ? dir : join(dir, ...relative.split('/'));
}

/**
 * Runs `fn` over `items` with at most `concurrency` in flight; items named in `last` run only
 * after every other item has finished. Rejects with the first error once in-flight work settles.
 */
export async function runTransfers<T extends { path: string }>(
  items: readonly T[],
  options: { concurrency: number; last?: readonly string[] },
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const lastSet = new Set(options.last ?? []);
  const first = items.filter((i) => !lastSet.has(i.path));
  const final = items.filter((i) => lastSet.has(i.path));
  await pool(first, options.concurrency, fn);
  await pool(final, options.concurrency, fn);
}

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failure) throw failure.error;
}
