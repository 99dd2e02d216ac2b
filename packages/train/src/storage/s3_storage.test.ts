import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3ServerHandle, startS3Server, withS3Env } from '../../../../test/harness/s3.ts';
import { storageFor } from './registry.ts';
import { parseS3Uri } from './s3_storage.ts';

describe('s3 storage', () => {
  let server: S3ServerHandle;
  beforeAll(async () => {
    server = await startS3Server({ buckets: ['bucket'] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('s3 storage - parses bucket and prefix from the URI', () => {
    expect(parseS3Uri('s3://b')).toEqual({ bucket: 'b', prefix: '' });
    expect(parseS3Uri('s3://b/runs//exp/')).toEqual({ bucket: 'b', prefix: 'runs/exp' });
    expect(() => parseS3Uri('s3:///key')).toThrow(/s3:\/\/bucket\/prefix/);
  });

  it('s3 storage - takes endpoint, credentials and region from the standard AWS variables', async () => {
    await withS3Env(server, async () => {
      const storage = storageFor('s3://bucket/env');
      try {
        await storage.writeFile('hello.txt', 'from env');
        expect(await storage.readText('hello.txt')).toBe('from env');
      } finally {
        await storage.close();
      }
    });
    expect(server.requests.some((r) => r.method === 'PUT' && r.path === '/bucket/env/hello.txt')).toBe(true);
  });

  it('s3 storage - a missing bucket is an error, not a missing file', async () => {
    const storage = storageFor('s3://no-such-bucket/x', { s3: options(server) });
    try {
      const error = await storage.writeFile('a', 'b').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORAGE_ERROR' });
      expect(String(error)).toMatch(/NoSuchBucket/);
    } finally {
      await storage.close();
    }
  });

  it('s3 storage - retries requests whose connections are reset', async () => {
    const proxy = await flakyProxy(server.port, 2);
    const endpoint = `http://127.0.0.1:${proxy.port}`;
    const seed = storageFor('s3://bucket/flaky', { s3: options(server) });
    await seed.writeFile('data.txt', 'survived');
    await seed.close();
    const patient = storageFor('s3://bucket/flaky', { s3: { ...options(server), endpoint, maxAttempts: 5 } });
    const hasty = storageFor('s3://bucket/flaky', { s3: { ...options(server), endpoint, maxAttempts: 1 } });
    try {
      expect(await patient.readText('data.txt')).toBe('survived');
      expect(proxy.dropped()).toBe(2);
      proxy.dropNext(1);
      await expect(hasty.readText('data.txt')).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    } finally {
      await patient.close();
      await hasty.close();
      await proxy.close();
    }
  });
});

function options(server: S3ServerHandle) {
  const { endpoint, accessKeyId, secretAccessKey, region } = server;
  return { endpoint, accessKeyId, secretAccessKey, region };
}

/** A TCP proxy to `port` that resets the first `drop` connections as soon as they send. */
async function flakyProxy(port: number, drop: number) {
  let toDrop = drop;
  let dropped = 0;
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    if (toDrop > 0) {
      toDrop--;
      client.once('data', () => {
        dropped++;
        client.resetAndDestroy();
      });
      return;
    }
    const target = connect(port, '127.0.0.1');
    sockets.add(target);
    target.on('close', () => sockets.delete(target));
    client.pipe(target).pipe(client);
    client.on('error', () => target.destroy());
    target.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    dropped: () => dropped,
    dropNext: (n: number) => {
      toDrop = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}
