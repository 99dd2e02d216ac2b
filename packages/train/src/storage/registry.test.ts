import { describe, expect, it } from 'vitest';
import { FsStorageImpl } from './fs_storage.ts';
import { backendFor, joinUri, schemeOf, storageFor } from './registry.ts';
import { S3StorageImpl } from './s3_storage.ts';

describe('storage registry', () => {
  it('storage registry - picks fs for plain paths and file://, s3 for s3://', async () => {
    expect(storageFor('/tmp/manta-x')).toBeInstanceOf(FsStorageImpl);
    expect(storageFor('relative/dir')).toBeInstanceOf(FsStorageImpl);
    expect(storageFor('file:///tmp/manta-x').uri).toBe('file:///tmp/manta-x');
    const s3 = storageFor('s3://bucket/runs/exp/', { s3: { region: 'eu-west-1' } });
    expect(s3).toBeInstanceOf(S3StorageImpl);
    expect(s3.uri).toBe('s3://bucket/runs/exp');
    expect(backendFor('S3://b').name).toBe('s3');
    await s3.close();
  });

  it('storage registry - an unknown scheme throws listing the known ones', () => {
    expect(() => storageFor('gs://bucket/x')).toThrow(/Unknown storage scheme "gs:\/\/".*file:\/\/, s3:\/\//);
    try {
      storageFor('hdfs://nn/x');
    } catch (error) {
      expect(error).toMatchObject({
        code: 'STORAGE_UNKNOWN_SCHEME',
        scheme: 'hdfs',
        knownSchemes: ['file', 's3'],
      });
    }
  });

  it('storage registry - rejects bad options naming the field', () => {
    expect(() => storageFor('/tmp/x', { concurrency: 0 })).toThrow(/storage options\.concurrency/);
    expect(() => storageFor('s3://b/x', { s3: { partSizeBytes: 1024 } })).toThrow(
      /s3 storage options\.partSizeBytes/,
    );
    expect(() => storageFor('s3://b/x', { s3: { accessKeyId: 'only-id' } })).toThrow(
      /accessKeyId and secretAccessKey together/,
    );
  });

  it('storage registry - schemeOf and joinUri', () => {
    expect(schemeOf('/a/b')).toBe('');
    expect(schemeOf('C:\\data')).toBe('');
    expect(schemeOf('s3://b')).toBe('s3');
    expect(joinUri('s3://b/runs/', 'exp', 'checkpoint_000001/')).toBe('s3://b/runs/exp/checkpoint_000001');
    expect(joinUri('/tmp/runs', '')).toBe('/tmp/runs');
    expect(() => joinUri('s3://b/runs', '../x')).toThrow(/".." is not allowed/);
  });
});
