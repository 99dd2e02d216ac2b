import type { S3Options } from '@manta/data/internal';

/**
 * The storage contract shared by every backend (local filesystem, S3). A `Storage` is rooted at
 * a URI (`/runs`, `file:///runs`, `s3://bucket/runs`); every method takes a relative POSIX path
 * under that root, where `''` is the root itself. "Prefix" arguments name a folder: `a/b` covers
 * `a/b/x` and `a/b/c/y`, never `a/bc`.
 */
export interface Storage {
  /** The backend's name in the registry: `'fs'` or `'s3'`. */
  readonly backend: string;
  /** The URI this storage is rooted at, normalised (`file:///abs/path`, `s3://bucket/prefix`). */
  readonly uri: string;
  /** What this backend can and cannot do, for callers and the conformance suite. */
  readonly capabilities: StorageCapabilities;

  /** The URI of `path` under the root. */
  uriOf(path: string): string;
  /** A storage rooted at `path` under this one, sharing its connection. */
  child(path: string): Storage;

  /** Writes a whole file (creating parent folders), replacing any file there. */
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  /** Writes text so that readers see either the old content or the new, never a torn file. */
  writeTextAtomic(path: string, text: string): Promise<void>;
  /** Reads a whole file; throws StorageNotFoundError when it is absent. */
  readFile(path: string): Promise<Uint8Array>;
  /** Reads a whole file as UTF-8; throws StorageNotFoundError when it is absent. */
  readText(path: string): Promise<string>;
  /** True when a file exists at `path`, or any file exists under the folder `path`. */
  exists(path: string): Promise<boolean>;
  /** Every file under the folder `prefix` (recursive), as paths relative to the root, sorted. */
  list(prefix?: string): Promise<string[]>;
  /** The file sizes under `prefix`, keyed by path relative to the root. */
  stat(prefix?: string): Promise<Map<string, number>>;
  /** Deletes the file at `prefix` and everything under the folder `prefix`; absent is fine. */
  deletePrefix(prefix: string): Promise<void>;
  /** Copies every file under the local folder `localDir` to the folder `remotePath`. */
  uploadDirectory(localDir: string, remotePath: string, options?: TransferOptions): Promise<TransferResult>;
  /** Copies every file under the folder `remotePath` into the local folder `localDir`. */
  downloadDirectory(remotePath: string, localDir: string, options?: TransferOptions): Promise<TransferResult>;
  /** Releases connections (a child's close does nothing; its root owns them). */
  close(): Promise<void>;
}

export interface StorageCapabilities {
  /** Files are plain local files (`localPath` works). */
  readonly local: boolean;
  /** Large files are uploaded in parallel parts. */
  readonly multipart: boolean;
}

export interface TransferOptions {
  /** Relative paths (under `localDir` / `remotePath`) to skip. */
  exclude?: (relativePath: string) => boolean;
  /** Files that must be transferred after every other file has finished (e.g. a marker). */
  last?: readonly string[];
}

export interface TransferResult {
  /** Files transferred, by path relative to the transferred folder, with their sizes. */
  files: { path: string; size: number }[];
  bytes: number;
}

/** Options for `storageFor`; each backend reads its own part. */
export interface StorageOptions {
  s3?: S3StorageOptions;
  /** Files transferred at once by upload/downloadDirectory (default 4). */
  concurrency?: number;
}

/** S3 connection and upload options (shared with @manta/data's `s3://` readers and writers). */
export type S3StorageOptions = S3Options;
