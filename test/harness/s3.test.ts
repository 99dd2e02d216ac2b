import { existsSync } from 'node:fs';
import { GetObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { type S3ServerHandle, startS3Server, withS3Env } from './s3.ts';

describe('s3 harness', () => {
  let server: S3ServerHandle | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('s3 harness - serves the S3 protocol to the SDK on a loopback port', async () => {
    server = await startS3Server({ buckets: ['alpha'] });
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await server.createBucket('beta');
    const client = new S3Client(server.clientConfig);
    try {
      const buckets = await client.send(new ListBucketsCommand({}));
      expect(buckets.Buckets?.map((b) => b.Name).sort()).toEqual(['alpha', 'beta']);
      await client.send(new PutObjectCommand({ Bucket: 'beta', Key: 'a/b.txt', Body: 'hello' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'beta', Key: 'a/b.txt' }));
      expect(await got.Body!.transformToString()).toBe('hello');
      expect(server.requests.some((r) => r.method === 'PUT' && r.path === '/beta/a/b.txt')).toBe(true);
    } finally {
      client.destroy();
    }
  });

  it('s3 harness - stop closes the port and removes the folder, and is idempotent', async () => {
    server = await startS3Server();
    const { directory, clientConfig } = server;
    await server.stop();
    await server.stop();
    expect(existsSync(directory)).toBe(false);
    const client = new S3Client({ ...clientConfig, maxAttempts: 1 });
    try {
      await expect(client.send(new ListBucketsCommand({}))).rejects.toThrow();
    } finally {
      client.destroy();
    }
  });

  it('s3 harness - runs in a child process on request, reporting requests and stopping with it', async () => {
    server = await startS3Server({ buckets: ['kid'], process: true });
    const client = new S3Client(server.clientConfig);
    try {
      await client.send(new PutObjectCommand({ Bucket: 'kid', Key: 'k', Body: 'child' }));
      const got = await client.send(new GetObjectCommand({ Bucket: 'kid', Key: 'k' }));
      expect(await got.Body!.transformToString()).toBe('child');
      expect(server.requests.some((r) => r.method === 'GET' && r.path === '/kid/k')).toBe(true);
    } finally {
      client.destroy();
    }
    const { directory } = server;
    await server.stop();
    expect(existsSync(directory)).toBe(false);
  });

  it('s3 harness - withS3Env sets the AWS variables and restores them', async () => {
    server = await startS3Server();
    const before = process.env.AWS_ENDPOINT_URL;
    const seen = await withS3Env(server, () => process.env.AWS_ENDPOINT_URL);
    expect(seen).toBe(server.endpoint);
    expect(process.env.AWS_ENDPOINT_URL).toBe(before);
  });
});
