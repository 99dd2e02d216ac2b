import { basename } from 'node:path';
import { DataReadError } from '../errors/index.ts';
import { globBase, globToRegExp, hasGlob } from './glob.ts';
import { fileSystemFor } from './registry.ts';
import type { FileRef } from './types.ts';

export interface ExpandOptions {
  /** Keep only files ending with one of these (when listing folders or globs). */
  readonly extensions?: readonly string[];
}

function hidden(path: string): boolean {
  const name = basename(path);
  return name.startsWith('.') || name.startsWith('_');
}

function wanted(path: string, options: ExpandOptions): boolean {
  if (hidden(path)) return false;
  return (
    !options.extensions || options.extensions.some((ext) => path.toLowerCase().endsWith(ext.toLowerCase()))
  );
}

/** Resolve files, folders (recursively) and globs to a sorted, de-duplicated list of files. */
export async function expandPaths(
  paths: string | readonly string[],
  options: ExpandOptions = {},
): Promise<FileRef[]> {
  const out = new Map<string, FileRef>();
  for (const path of typeof paths === 'string' ? [paths] : paths) {
    const fs = fileSystemFor(path);
    let found: string[];
    if (hasGlob(path)) {
      const re = globToRegExp(path.replace(/^\.\//, ''));
      const base = globBase(path);
      const listed = await fs.listFiles(base).catch((cause) => {
        throw new DataReadError(path, `cannot list ${base}: ${(cause as Error).message}`, undefined, {
          cause,
        });
      });
      found = listed.filter((p) => re.test(p.replace(/^\.\//, '')) && wanted(p, options));
    } else {
      const info = await fs.stat(path).catch((cause) => {
        throw new DataReadError(path, `cannot read: ${(cause as Error).message}`, undefined, { cause });
      });
      found = info.isDirectory ? (await fs.listFiles(path)).filter((p) => wanted(p, options)) : [path];
    }
    if (found.length === 0) throw new DataReadError(path, 'no files matched');
    for (const file of found)
      if (!out.has(file)) out.set(file, { path: file, size: (await fs.stat(file)).size });
  }
  return [...out.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
