/**
 * A checkpoint is a folder of files, local or in remote storage. `Checkpoint.fromDirectory`
 * wraps a local folder (what a training loop reports); persisted checkpoints live in storage and
 * are read through `asDirectory` or copied locally with `toDirectory`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  localPathFromUri,
  type Storage,
  type StorageOptions,
  schemeOf,
  storageFor,
} from '../storage/index.ts';
import { CheckpointError, CheckpointIncompleteError } from './errors.ts';
import { MARKER_FILE, readMarker } from './marker.ts';
import type { CheckpointMarker } from './types.ts';

export class Checkpoint {
  /** `file:///abs/path` or `s3://bucket/key`. */
  readonly uri: string;
  /** Where the folder is within its storage: an absolute local path, or `bucket/key` for S3. */
  readonly path: string;
  /** Options for reaching the checkpoint's storage (credentials, endpoint); not serialised. */
  readonly storageOptions: StorageOptions;

  private constructor(uri: string, storageOptions: StorageOptions) {
    this.storageOptions = storageOptions;
    if (isLocalUri(uri)) {
      this.path = localPathFromUri(uri);
      this.uri = pathToFileURL(this.path).href;
    } else {
      const storage = storageFor(uri, storageOptions);
      this.uri = storage.uri;
      this.path = this.uri.replace(/^[a-z0-9+.-]+:\/\//i, '');
      void storage.close();
    }
  }

  /** Wraps a local folder. The folder must stay in place until the checkpoint is persisted. */
  static fromDirectory(dir: string): Checkpoint {
    return new Checkpoint(resolve(dir), {});
  }

  /** A checkpoint at a storage URI (`s3://bucket/run/checkpoint_000003`, a path, `file://`). */
  static fromUri(uri: string, storageOptions: StorageOptions = {}): Checkpoint {
    return new Checkpoint(uri, storageOptions);
  }

  /** Rebuilds a checkpoint from `toJSON()` output (e.g. after crossing the wire). */
  static fromJSON(json: { uri: string }, storageOptions: StorageOptions = {}): Checkpoint {
    return new Checkpoint(json.uri, storageOptions);
  }

  /** True when the files are plain local files at `path`. */
  get isLocal(): boolean {
    return this.uri.startsWith('file://');
  }

  /** A storage rooted at the checkpoint folder; close it when done. */
  storage(): Storage {
    return storageFor(this.uri, this.storageOptions);
  }

  /**
   * Materialises the checkpoint in the local folder `dir` (a fresh temp folder when omitted),
   * downloading it when remote, and returns that folder. The completion marker is not copied.
   * A local checkpoint asked for its own folder returns it untouched.
   */
  async toDirectory(dir?: string): Promise<string> {
    const target = dir === undefined ? await mkdtemp(join(tmpdir(), 'manta-checkpoint-')) : resolve(dir);
    if (this.isLocal && target === this.path) return target;
    await this.withStorage((storage) =>
      storage.downloadDirectory('', target, { exclude: (p) => p === MARKER_FILE }),
    );
    return target;
  }

  /**
   * Runs `use` with the checkpoint's files in a local folder, to read (Ray's `as_directory`):
   * the checkpoint's own folder when it is local, else a download into a temp folder that is
   * deleted once `use` settles.
   */
  async asDirectory<T>(use: (dir: string) => Promise<T> | T): Promise<T> {
    if (this.isLocal) return use(this.path);
    const dir = await this.toDirectory();
    try {
      return await use(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Relative paths of the checkpoint's files (marker excluded). */
  async listFiles(): Promise<string[]> {
    return this.withStorage(async (storage) => (await storage.list('')).filter((p) => p !== MARKER_FILE));
  }

  /** The completion marker, or undefined for a folder that was never (fully) persisted. */
  async marker(): Promise<CheckpointMarker | undefined> {
    return this.withStorage(readMarker);
  }

  /** True when the completion marker exists and is readable. */
  async isComplete(): Promise<boolean> {
    return (await this.marker()) !== undefined;
  }

  /** The marker of a persisted checkpoint; throws CheckpointIncompleteError when it has none. */
  async assertComplete(): Promise<CheckpointMarker> {
    const marker = await this.marker();
    if (!marker) throw new CheckpointIncompleteError(this.uri);
    return marker;
  }

  /** Deletes the checkpoint: the marker first, so a half-deleted folder never looks complete. */
  async delete(): Promise<void> {
    const { parentUri, name } = this.parent();
    const parent = storageFor(parentUri, this.storageOptions);
    try {
      if (name === '') {
        await parent.deletePrefix(MARKER_FILE);
        await parent.deletePrefix('');
      } else {
        await parent.deletePrefix(`${name}/${MARKER_FILE}`);
        await parent.deletePrefix(name);
      }
    } catch (error) {
      throw new CheckpointError(`Deleting ${this} failed: ${(error as Error).message}`, {
        uri: this.uri,
        cause: error,
      });
    } finally {
      await parent.close();
    }
  }

  /** The folder above the checkpoint and the checkpoint's name in it ('' at a bucket root). */
  private parent(): { parentUri: string; name: string } {
    if (this.isLocal) return { parentUri: dirname(this.path), name: basename(this.path) };
    const cut = this.uri.lastIndexOf('/');
    if (cut <= this.uri.indexOf('://') + 2) return { parentUri: this.uri, name: '' };
    return { parentUri: this.uri.slice(0, cut), name: this.uri.slice(cut + 1) };
  }

  toJSON(): { uri: string } {
    return { uri: this.uri };
  }

  toString(): string {
    return `Checkpoint(${this.uri})`;
  }

  private async withStorage<T>(fn: (storage: Storage) => Promise<T>): Promise<T> {
    const storage = this.storage();
    try {
      return await fn(storage);
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      throw new CheckpointError(`${this}: ${(error as Error).message}`, { uri: this.uri, cause: error });
    } finally {
      await storage.close();
    }
  }
}

function isLocalUri(uri: string): boolean {
  const scheme = schemeOf(uri);
  return scheme === '' || scheme === 'file';
}
