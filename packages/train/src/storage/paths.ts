import { InvalidStoragePathError } from './errors.ts';

/**
 * Normalises a relative storage path: `/`-separated, no leading/trailing slash, no `.` or empty
 * segments; `''` is the root. Rejects `..` and absolute paths, so no call can escape its root.
 */
export function normalizePath(path: string): string {
  if (typeof path !== 'string') throw new InvalidStoragePathError(String(path), 'expected a string');
  if (path.includes('\\')) throw new InvalidStoragePathError(path, 'use "/" as the separator');
  if (path.includes('\0')) throw new InvalidStoragePathError(path, 'contains a NUL byte');
  if (path.startsWith('/'))
    throw new InvalidStoragePathError(path, 'expected a path relative to the storage root');
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) throw new InvalidStoragePathError(path, '".." is not allowed');
  return segments.join('/');
}

/** Joins relative paths, normalising each part. */
export function joinPath(...parts: string[]): string {
  return parts
    .map(normalizePath)
    .filter((p) => p !== '')
    .join('/');
}

/** `a/b/c` relative to the folder `a` is `b/c`; undefined when `path` is not under `folder`. */
export function relativeTo(folder: string, path: string): string | undefined {
  if (folder === '') return path;
  if (path.startsWith(`${folder}/`)) return path.slice(folder.length + 1);
  return undefined;
}
