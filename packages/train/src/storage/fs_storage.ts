/**
 * The local filesystem backend: plain paths and `file://` URIs. Atomic text writes go through a
 * temp file in the same folder, fsync, then rename (and a best-effort fsync of the folder).
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StorageError, StorageNotFoundError } from './errors.ts';
import { localPathOf, runTransfers, walkLocalFiles } from './local_files.ts';
import { joinPath, normalizePath } from './paths.ts';
import type {
  Storage,
  StorageCapabilities,
  StorageOptions,
  TransferOptions,
  TransferResult,
} from './types.ts';

const DEFAULT_CONCURRENCY = 4;

export class FsStorageImpl implements Storage {
  readonly backend = 'fs';
  readonly capabilities: StorageCapabilities = { local: true, multipart: false };
  /** Absolute local path of the root. */
  readonly root: string;
  readonly uri: string;
  private readonly concurrency: number;

  constructor(root: string, options: StorageOptions = {}) {
    this.root = resolve(root);
    this.uri = pathToFileURL(this.root).href;
    this.concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  }

  /** The local path of `path` under the root. */
  localPath(path: string): string {
    return localPathOf(this.root, normalizePath(path));
  }

  uriOf(path: string): string {
    return pathToFileURL(this.localPath(path)).href;
  }

  child(path: string): Storage {
    return new FsStorageImpl(this.localPath(path), { concurrency: this.concurrency });
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const target = this.localPath(path);
    await this.wrap(path, async () => {
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, data);
    });
  }

  async writeTextAtomic(path: string, text: string): Promise<void> {
    const target = this.localPath(path);
    const temp = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await this.wrap(path, async () => {
      await mkdir(dirname(target), { recursive: true });
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await rename(temp, target);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      await syncFolder(dirname(target));
    });
  }

  async readFile(path: string): Promise<Uint8Array> {
    return this.wrap(path, () => readFile(this.localPath(path)));
  }

  async readText(path: string): Promise<string> {
    return this.wrap(path, () => readFile(this.localPath(path), 'utf8'));
  }

  async exists(path: string): Promise<boolean> {
    const target = this.localPath(path);
    const info = await stat(target).catch(() => undefined);
    if (!info) return false;
    if (info.isFile()) return true;
    return info.isDirectory() && (await containsFile(target));
  }

  async list(prefix = ''): Promise<string[]> {
    return [...(await this.stat(prefix)).keys()];
  }

  async stat(prefix = ''): Promise<Map<string, number>> {
    const folder = normalizePath(prefix);
    const target = this.localPath(folder);
    const info = await stat(target).catch(() => undefined);
    if (!info?.isDirectory()) return new Map();
    const files = await this.wrap(prefix, () => walkLocalFiles(target));
    return new Map(files.map((f) => [joinPath(folder, f.path), f.size]));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const folder = normalizePath(prefix);
    const target = this.localPath(folder);
    await this.wrap(prefix, async () => {
      if (folder !== '') return rm(target, { recursive: true, force: true });
      // Deleting the root empties it but keeps the folder.
      const entries = await readdir(target).catch(() => [] as string[]);
      await Promise.all(entries.map((e) => rm(localPathOf(target, e), { recursive: true, force: true })));
    });
  }

  async uploadDirectory(
    localDir: string,
    remotePath: string,
    options: TransferOptions = {},
  ): Promise<TransferResult> {
    const to = this.localPath(remotePath);
    return copyTree(resolve(localDir), to, this.concurrency, options, this.uriOf(remotePath));
  }

  async downloadDirectory(
    remotePath: string,
    localDir: string,
    options: TransferOptions = {},
  ): Promise<TransferResult> {
    const from = this.localPath(remotePath);
    const info = await stat(from).catch(() => undefined);
    if (!info?.isDirectory()) return { files: [], bytes: 0 };
    return copyTree(from, resolve(localDir), this.concurrency, options, this.uriOf(remotePath));
  }

  async close(): Promise<void> {}

  private async wrap<T>(path: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const uri = this.uriOf(path);
      if (code === 'ENOENT' || code === 'EISDIR') throw new StorageNotFoundError(uri, { cause: error });
      throw new StorageError(uri, `Storage operation on ${uri} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** `file:///x` or a plain path to an absolute local path. */
export function localPathFromUri(uri: string): string {
  return uri.startsWith('file://') ? fileURLToPath(uri) : resolve(uri);
}

async function copyTree(
  from: string,
  to: string,
  concurrency: number,
  options: TransferOptions,
  uri: string,
): Promise<TransferResult> {
  if (from === to) throw new StorageError(uri, `Cannot copy ${from} onto itself`);
  const files = (await walkLocalFiles(from)).filter((f) => !options.exclude?.(f.path));
  const made = new Set<string>();
  try {
    await runTransfers(files, { concurrency, last: options.last }, async (file) => {
      const target = localPathOf(to, file.path);
      const folder = dirname(target);
      if (!made.has(folder)) {
        await mkdir(folder, { recursive: true });
        made.add(folder);
      }
      await copyFile(localPathOf(from, file.path), target);
    });
  } catch (error) {
    throw new StorageError(uri, `Copying ${from} to ${to} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { files, bytes: files.reduce((n, f) => n + f.size, 0) };
}

async function containsFile(dir: string): Promise<boolean> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isFile() || entry.isSymbolicLink()) return true;
    if (entry.isDirectory() && (await containsFile(localPathOf(dir, entry.name)))) return true;
  }
  return false;
}

async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some platforms cannot fsync a folder; the rename is still atomic.
  }
}
