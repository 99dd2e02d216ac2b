import { ConfigError } from '@manta/core';
import { LocalFileSystem } from './local.ts';
import { S3FileSystem } from './s3.ts';
import type { FileSystem } from './types.ts';

const registry = new Map<string, () => FileSystem>([
  ['file', () => new LocalFileSystem()],
  // Options from the standard AWS variables; registerFileSystem('s3', () => new S3FileSystem({...})) to set them.
  ['s3', () => new S3FileSystem()],
]);
const instances = new Map<string, FileSystem>();

/** Register a file system for a URL scheme (e.g. `s3`); paths `scheme://...` then resolve to it. */
export function registerFileSystem(scheme: string, factory: () => FileSystem): void {
  registry.set(scheme, factory);
  instances.delete(scheme);
}

export function schemeOf(path: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(path);
  return match ? match[1].toLowerCase() : 'file';
}

/** The file system serving `path`; unknown schemes throw, listing the known ones. */
export function fileSystemFor(path: string): FileSystem {
  const scheme = schemeOf(path);
  let fs = instances.get(scheme);
  if (fs) return fs;
  const factory = registry.get(scheme);
  if (!factory) {
    throw new ConfigError(
      `no file system for "${scheme}://" (path ${path}); known schemes: ${[...registry.keys()].join(', ')}`,
      [`path: unknown scheme ${scheme}`],
    );
  }
  fs = factory();
  instances.set(scheme, fs);
  return fs;
}
