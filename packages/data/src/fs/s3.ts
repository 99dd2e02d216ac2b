import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ConfigError } from '@manta/core';
import { resolveS3Config, type S3Options } from './s3_config.ts';
import type { FileInfo, FileSystem } from './types.ts';

/** `s3://bucket/key` -> bucket and key (no leading slash). */
export function parseS3Path(path: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(path);
  if (!match)
    throw new ConfigError(`expected an S3 path like s3://bucket/key, got "${path}"`, [`path: ${path}`]);
  return { bucket: match[1], key: match[2] };
}

/**
 * `s3://` paths for readers and writers, through @aws-sdk/client-s3. The endpoint, region and
 * credentials come from the options, else the standard AWS variables (AWS_ENDPOINT_URL,
 * AWS_REGION, AWS_ACCESS_KEY_ID, ...). A "folder" is a key prefix; reads use ranged GETs so
 * read tasks fetch only their part of a file.
 */
export class S3FileSystem implements FileSystem {
  readonly scheme = 's3';
  private clientInstance: S3Client | undefined;

  constructor(private readonly options: S3Options = {}) {}

  /** Created on first use, so that registering the file system costs no connection setup. */
  get client(): S3Client {
    this.clientInstance ??= new S3Client(resolveS3Config(this.options).client);
    return this.clientInstance;
  }

  async stat(path: string): Promise<FileInfo> {
    const { bucket, key } = parseS3Path(path);
    if (key !== '' && !key.endsWith('/')) {
      try {
        const head = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return { size: Number(head.ContentLength ?? 0), isDirectory: false };
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    // No such object: a prefix with objects under it is a folder. (No MaxKeys: s3rver fails
    // ListObjectsV2 with MaxKeys=1, and one page of keys is cheap.)
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    const listed = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    if ((listed.KeyCount ?? 0) > 0) return { size: 0, isDirectory: true };
    throw Object.assign(new Error(`no such object or prefix: ${path}`), { code: 'ENOENT' });
  }

  async listFiles(dir: string): Promise<string[]> {
    const { bucket, key } = parseS3Path(dir);
    const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
    const files: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? [])
        if (object.Key && !object.Key.endsWith('/')) files.push(`s3://${bucket}/${object.Key}`);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
    if (end <= start) return new Uint8Array(0);
    const { bucket, key } = parseS3Path(path);
    const out = await this.client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${end - 1}` }),
    );
    if (!out.Body) return new Uint8Array(0);
    return out.Body.transformToByteArray();
  }

  async *readStream(path: string): AsyncIterable<Uint8Array> {
    const { bucket, key } = parseS3Path(path);
    const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!out.Body) return;
    for await (const chunk of out.Body as AsyncIterable<Uint8Array>) yield chunk;
  }

  async writeFile(path: string, data: Uint8Array | string): Promise<void> {
    const { bucket, key } = parseS3Path(path);
    await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data }));
  }

  async mkdirs(_path: string): Promise<void> {
    // Object stores have no folders: keys under a prefix are enough.
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}
