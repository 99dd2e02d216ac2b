/**
 * The S3 backend: `s3://bucket/prefix`. Small files go up in one PutObject (already atomic);
 * files past the multipart threshold go through @aws-sdk/lib-storage with parallel parts.
 * Requests retry transient errors in the SDK; whole-object reads also retry here, since a body
 * that fails mid-stream is past the SDK's retry.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { StorageError, StorageNotFoundError } from './errors.ts';
import { localPathOf, runTransfers, walkLocalFiles } from './local_files.ts';
import { joinPath, normalizePath, relativeTo } from './paths.ts';
import { isTransientError, withRetries } from './retry.ts';
import { type ResolvedS3Config, resolveS3Config } from './s3_config.ts';
import type {
  Storage,
  StorageCapabilities,
  StorageOptions,
  TransferOptions,
  TransferResult,
} from './types.ts';

const DEFAULT_CONCURRENCY = 4;

/** Parses `s3://bucket/prefix` into its bucket and normalised key prefix. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/i.exec(uri);
  if (!match)
    throw new StorageError(uri, `Expected an S3 URI like s3://bucket/prefix, got "${uri}"`, {
      code: 'STORAGE_INVALID_URI',
    });
  return { bucket: match[1], prefix: normalizePath(match[2] ?? '') };
}

interface Shared {
  /** Created on first use, so that naming a storage costs no connection setup. */
  client?: S3Client;
  config: ResolvedS3Config;
  concurrency: number;
}

export class S3StorageImpl implements Storage {
  readonly backend = 's3';
  readonly capabilities: StorageCapabilities = { local: false, multipart: true };
  readonly uri: string;
  readonly bucket: string;
  /** Key prefix of the root, no trailing slash; '' for the bucket root. */
  readonly prefix: string;
  private readonly shared: Shared;
  private readonly owner: boolean;

  constructor(uri: string, options: StorageOptions = {}, shared?: Shared) {
    const { bucket, prefix } = parseS3Uri(uri);
    this.bucket = bucket;
    this.prefix = prefix;
    this.uri = `s3://${bucket}${prefix ? `/${prefix}` : ''}`;
    this.owner = shared === undefined;
    if (shared) this.shared = shared;
    else {
      const config = resolveS3Config(options.s3);
      this.shared = { config, concurrency: options.concurrency ?? DEFAULT_CONCURRENCY };
    }
  }

  /** The SDK client this storage uses (shared with its children). */
  get client(): S3Client {
    this.shared.client ??= new S3Client(this.shared.config.client);
    return this.shared.client;
  }

  /** The object key of `path` under the root. */
  keyOf(path: string): string {
    return joinPath(this.prefix, path);
  }

  uriOf(path: string): string {
    const key = this.keyOf(path);
    return `s3://${this.bucket}${key ? `/${key}` : ''}`;
  }

  child(path: string): Storage {
    return new S3StorageImpl(this.uriOf(path), {}, this.shared);
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const key = this.keyOf(path);
    const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    await this.wrap(path, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.byteLength }),
      ),
    );
  }

  /** A single PUT replaces an object atomically: readers see the old or the new body. */
  writeTextAtomic(path: string, text: string): Promise<void> {
    return this.writeFile(path, text);
  }

  async readFile(path: string): Promise<Uint8Array> {
    const key = this.keyOf(path);
    return this.wrap(path, () =>
      this.retry(async () => {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        return response.Body!.transformToByteArray();
      }),
    );
  }

  async readText(path: string): Promise<string> {
    return Buffer.from(await this.readFile(path)).toString('utf8');
  }

  async exists(path: string): Promise<boolean> {
    const key = this.keyOf(path);
    if (key !== '') {
      try {
        await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
        return true;
      } catch (error) {
        if (!isNotFound(error)) throw this.fail(path, error);
      }
    }
    const listed = await this.wrap(path, () =>
      this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: folderKey(key), MaxKeys: 1 })),
    );
    return (listed.Contents?.length ?? 0) > 0;
  }

  async list(prefix = ''): Promise<string[]> {
    return [...(await this.stat(prefix)).keys()];
  }

  async stat(prefix = ''): Promise<Map<string, number>> {
    const entries = await this.listKeys(this.keyOf(prefix), prefix);
    const sizes = new Map<string, number>();
    for (const { key, size } of entries) {
      const relative = relativeTo(this.prefix, key);
      if (relative !== undefined && relative !== '') sizes.set(relative, size);
    }
    return new Map([...sizes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  async deletePrefix(prefix: string): Promise<void> {
    const key = this.keyOf(prefix);
    const keys = (await this.listKeys(key, prefix)).map((e) => e.key);
    if (key !== '') keys.push(key);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const result = await this.wrap(prefix, () =>
        this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true },
          }),
        ),
      );
      const failed = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        throw new StorageError(
          this.uriOf(prefix),
          `Deleting under ${this.uriOf(prefix)} failed for ${failed.length} object(s), first: ${failed[0].Key}: ${failed[0].Code} ${failed[0].Message}`,
        );
      }
    }
  }

  async uploadDirectory(
    localDir: string,
    remotePath: string,
    options: TransferOptions = {},
  ): Promise<TransferResult> {
    const base = normalizePath(remotePath);
    const files = (await walkLocalFiles(localDir)).filter((f) => !options.exclude?.(f.path));
    await runTransfers(files, { concurrency: this.shared.concurrency, last: options.last }, (file) =>
      this.uploadFile(localPathOf(localDir, file.path), joinPath(base, file.path), file.size),
    );
    return { files, bytes: files.reduce((n, f) => n + f.size, 0) };
  }

  async downloadDirectory(
    remotePath: string,
    localDir: string,
    options: TransferOptions = {},
  ): Promise<TransferResult> {
    const base = normalizePath(remotePath);
    const entries: { path: string; size: number }[] = [];
    for (const [path, size] of await this.stat(base)) {
      const relative = relativeTo(base, path)!;
      if (!options.exclude?.(relative)) entries.push({ path: relative, size });
    }
    await runTransfers(entries, { concurrency: this.shared.concurrency, last: options.last }, (entry) =>
      this.downloadFile(joinPath(base, entry.path), localPathOf(localDir, entry.path)),
    );
    return { files: entries, bytes: entries.reduce((n, e) => n + e.size, 0) };
  }

  /** Uploads one local file: a single PUT below the multipart threshold, parallel parts above. */
  async uploadFile(localPath: string, path: string, size: number): Promise<void> {
    const key = this.keyOf(path);
    const { multipartThresholdBytes, partSizeBytes, partConcurrency, bufferFilesUpToBytes } =
      this.shared.config;
    await this.wrap(path, async () => {
      if (size < multipartThresholdBytes) {
        const body = await readFile(localPath);
        await this.client.send(
          new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentLength: body.length }),
        );
        return;
      }
      // lib-storage slices a Buffer into parts without copying; a stream it must re-chunk.
      const body =
        size <= bufferFilesUpToBytes
          ? await readFile(localPath)
          : createReadStream(localPath, { highWaterMark: 1024 * 1024 });
      const upload = new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: body },
        partSize: Math.max(partSizeBytes, Math.ceil(size / 10_000)),
        queueSize: partConcurrency,
        leavePartsOnError: false,
      });
      await upload.done();
    });
  }

  /** Downloads one object to a local file, through a temp file renamed into place. */
  async downloadFile(path: string, localPath: string): Promise<void> {
    const key = this.keyOf(path);
    await mkdir(dirname(localPath), { recursive: true });
    const temp = `${localPath}.download-${process.pid}`;
    await this.wrap(path, async () => {
      try {
        await this.retry(async () => {
          const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
          await pipeline(response.Body as Readable, createWriteStream(temp));
        });
        await rename(temp, localPath);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    if (this.owner) {
      this.shared.client?.destroy();
      this.shared.client = undefined;
    }
  }

  private async listKeys(key: string, path: string): Promise<{ key: string; size: number }[]> {
    const keys: { key: string; size: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.wrap(path, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: folderKey(key), ContinuationToken: token }),
        ),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) keys.push({ key: object.Key, size: object.Size ?? 0 });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  private retry<T>(fn: () => Promise<T>): Promise<T> {
    // The SDK already retried each request; this covers bodies that fail mid-stream.
    return withRetries(fn, {
      attempts: Math.min(3, this.shared.config.maxAttempts),
      isTransient: (e) => !isNotFound(e) && isTransientError(e),
    });
  }

  private async wrap<T>(path: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.fail(path, error);
    }
  }

  private fail(path: string, error: unknown): Error {
    if (error instanceof StorageError) return error;
    const uri = this.uriOf(path);
    if (isNotFound(error)) return new StorageNotFoundError(uri, { cause: error });
    const name = (error as Error)?.name ?? 'Error';
    return new StorageError(uri, `S3 operation on ${uri} failed: ${name}: ${(error as Error)?.message}`, {
      cause: error,
    });
  }
}

function folderKey(key: string): string {
  return key === '' ? '' : `${key}/`;
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  if (e?.name === 'NoSuchBucket') return false;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}
