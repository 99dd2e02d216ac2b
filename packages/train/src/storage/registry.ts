/**
 * The storage backends, one file each, listed here. `storageFor(uri)` picks one by the URI's
 * scheme (a plain path is the local filesystem); an unknown scheme throws listing the known ones.
 */
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import { UnknownStorageSchemeError } from './errors.ts';
import { FsStorageImpl, localPathFromUri } from './fs_storage.ts';
import { joinPath } from './paths.ts';
import { S3StorageImpl } from './s3_storage.ts';
import type { Storage, StorageOptions } from './types.ts';

// Each backend validates its own part (`s3` is checked by the s3 backend).
const storageOptionsSchema = z.strictObject({
  s3: z.looseObject({}).optional(),
  concurrency: z.number().int().min(1).max(64).optional(),
});

export interface StorageBackend {
  readonly name: string;
  /** URI schemes it serves, without `://`; `''` means a plain local path. */
  readonly schemes: readonly string[];
  create(uri: string, options: StorageOptions): Storage;
}

const fsBackend: StorageBackend = {
  name: 'fs',
  schemes: ['', 'file'],
  create: (uri, options) => new FsStorageImpl(localPathFromUri(uri), options),
};

const s3Backend: StorageBackend = {
  name: 's3',
  schemes: ['s3'],
  create: (uri, options) => new S3StorageImpl(uri, options),
};

export const storageBackends: readonly StorageBackend[] = [fsBackend, s3Backend];

/** The URI's scheme, lower-cased, or `''` for a plain path. */
export function schemeOf(uri: string): string {
  const match = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(uri);
  return match ? match[1].toLowerCase() : '';
}

/** The backend for `uri`'s scheme; throws UnknownStorageSchemeError listing the known schemes. */
export function backendFor(uri: string): StorageBackend {
  const scheme = schemeOf(uri);
  const backend = storageBackends.find((b) => b.schemes.includes(scheme));
  if (!backend) {
    const known = storageBackends.flatMap((b) => b.schemes).filter((s) => s !== '');
    throw new UnknownStorageSchemeError(uri, scheme, known);
  }
  return backend;
}

/**
 * A storage rooted at `uri`: a local path, `file:///path`, or `s3://bucket/prefix`. Close it
 * when done (it may hold connections).
 */
export function storageFor(uri: string, options: StorageOptions = {}): Storage {
  const backend = backendFor(uri);
  return backend.create(uri, parseConfig(storageOptionsSchema, options, 'storage options'));
}

/** Joins a storage URI and a relative path: `s3://b/runs` + `exp/1` is `s3://b/runs/exp/1`. */
export function joinUri(uri: string, ...paths: string[]): string {
  const rest = joinPath(...paths);
  return rest === '' ? uri : `${uri.replace(/\/+$/, '')}/${rest}`;
}
