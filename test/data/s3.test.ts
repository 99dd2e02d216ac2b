import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CIFAR10_RECORD_BYTES,
  DataReadError,
  fromItems,
  range,
  readCifar10,
  readCsv,
  readJsonl,
  readParquet,
  registerFileSystem,
  S3FileSystem,
} from '@manta/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3ServerHandle, startS3Server, withS3Env } from '../harness/s3.ts';

let server: S3ServerHandle;

beforeAll(async () => {
  server = await startS3Server({ buckets: ['data'] });
});
afterAll(async () => {
  registerFileSystem('s3', () => new S3FileSystem());
  await server?.stop();
});

/** s3:// goes through a client given the server's endpoint and keys as options, not the environment. */
function useExplicitEndpointOptions(): void {
  const { endpoint, region, accessKeyId, secretAccessKey } = server;
  registerFileSystem('s3', () => new S3FileSystem({ endpoint, region, accessKeyId, secretAccessKey }));
}

const rows = (n: number) =>
  range(n, { blockRows: 250 }).map((r) => ({ id: r.id, name: `row-${r.id}`, x: (r.id as number) / 4 }));

describe('s3:// paths', () => {
  it('writes and reads back Parquet, CSV and JSONL under a prefix (credentials from the AWS variables)', async () => {
    await withS3Env(server, async () => {
      registerFileSystem('s3', () => new S3FileSystem()); // a fresh client that reads the variables now
      const parquet = await rows(1000).writeParquet('s3://data/tables/parquet');
      expect(parquet).toHaveLength(4);
      expect(parquet[0]).toBe('s3://data/tables/parquet/part-00000.parquet');
      await rows(300).writeCsv('s3://data/tables/csv/');
      await rows(300).writeJsonl('s3://data/tables/jsonl');

      const expected = await rows(1000).takeAll();
      expect(await readParquet('s3://data/tables/parquet').takeAll()).toEqual(expected);
      expect(await readParquet('s3://data/tables/parquet/*.parquet').count()).toBe(1000);
      expect(await readCsv('s3://data/tables/csv').takeAll()).toEqual(expected.slice(0, 300));
      expect(await readJsonl('s3://data/tables/jsonl').takeAll()).toEqual(expected.slice(0, 300));
    });
    expect(server.requests.some((r) => r.method === 'PUT' && r.path.startsWith('/data/tables/csv/'))).toBe(
      true,
    );
  });

  it('reads fixed-size records with ranged GETs, one per block (explicit endpoint options)', async () => {
    useExplicitEndpointOptions();
    const records = 500;
    const bytes = new Uint8Array(records * CIFAR10_RECORD_BYTES);
    for (let r = 0; r < records; r++) {
      bytes[r * CIFAR10_RECORD_BYTES] = r % 10;
      bytes[r * CIFAR10_RECORD_BYTES + 1] = r % 256; // red channel of pixel 0
    }
    const client = new S3Client(server.clientConfig);
    try {
      await client.send(new PutObjectCommand({ Bucket: 'data', Key: 'cifar/data_batch_1.bin', Body: bytes }));
    } finally {
      client.destroy();
    }
    server.clearRequests();
    const got = await readCifar10('s3://data/cifar/', { blockRows: 100 }).takeAll();
    expect(got.map((r) => r.label)).toEqual(Array.from({ length: records }, (_, r) => r % 10));
    expect(got.map((r) => (r.image as Uint8Array)[0])).toEqual(
      Array.from({ length: records }, (_, r) => r % 256),
    );
    const gets = server.requests.filter(
      (r) => r.method === 'GET' && r.path === '/data/cifar/data_batch_1.bin',
    );
    expect(gets).toHaveLength(5);
  });

  it('names the missing path in the error', async () => {
    useExplicitEndpointOptions();
    const error = await readParquet('s3://data/nope/missing.parquet')
      .count()
      .catch((e) => e);
    expect(error).toBeInstanceOf(DataReadError);
    expect(String(error.message)).toContain('s3://data/nope/missing.parquet');
    await expect(fromItems([{ a: 1 }]).writeJsonl('s3://no-such-bucket/x')).rejects.toThrow();
  });
});
