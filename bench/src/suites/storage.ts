/**
 * Storage suite. `checkpoint_upload_s3`: MB/s of persisting a checkpoint folder of a few files
 * (100 MB; 48 MB with --quick) to S3 through @manta/train's Checkpoint/Storage path
 * (persistCheckpoint: clear the target, upload with parallel multipart parts, verify the listing,
 * write the marker last), reading the files from disk. Baseline `s3_client_put`: the bare
 * @aws-sdk/client-s3 (PutObject, lib-storage Upload) sending the same bytes from memory in the
 * same run, against the same s3rver.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Checkpoint, persistCheckpoint } from '../../../packages/train/src/checkpoint/index.ts';
import { startS3Server, withS3Env } from '../../../test/harness/s3.ts';
import { type BenchContext, median } from '../harness.ts';

const MIB = 1024 * 1024;
const BUCKET = 'bench';

export async function run(ctx: BenchContext): Promise<void> {
  const totalMiB = ctx.quick ? 48 : 100;
  const repetitions = 5;
  // A few files, as a model checkpoint has: most bytes in two weight shards.
  const layout: Record<string, number> = {
    'model.json': 64 * 1024,
    'weights_0.bin': Math.round(totalMiB * 0.6 * MIB),
    'weights_1.bin': Math.round(totalMiB * 0.3 * MIB),
    'optimizer.bin': Math.round(totalMiB * 0.1 * MIB) - 64 * 1024,
  };
  const totalBytes = Object.values(layout).reduce((a, b) => a + b, 0);
  const partSizeBytes = 8 * MIB;
  const partConcurrency = 4;

  const server = await startS3Server({ buckets: [BUCKET], process: true });
  const dir = await mkdtemp(join(tmpdir(), 'manta-bench-storage-'));
  const client = new S3Client(server.clientConfig);
  try {
    const bytes = new Map<string, Buffer>();
    for (const [name, size] of Object.entries(layout)) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) data[i] = (i * 2654435761) >>> 24;
      await writeFile(join(dir, name), data);
      bytes.set(name, data);
    }
    const { endpoint, accessKeyId, secretAccessKey, region } = server;
    const storage = {
      concurrency: 4,
      s3: {
        endpoint,
        accessKeyId,
        secretAccessKey,
        region,
        partSizeBytes,
        partConcurrency,
        multipartThresholdBytes: 16 * MIB,
      },
    };
    const source = Checkpoint.fromDirectory(dir);

    const manta = async (i: number) => {
      await persistCheckpoint(source, `s3://${BUCKET}/manta/rep${i}`, { index: 0, storage });
    };
    // The raw client at its best: the bytes already in memory, all files at once, one PUT for
    // small files and lib-storage's parallel parts for large ones (same part size and queue).
    const bare = async (i: number) => {
      await Promise.all(
        [...bytes].map(([name, data]) => {
          const Key = `bare/rep${i}/checkpoint_000000/${name}`;
          if (data.length < 16 * MIB)
            return client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: data }));
          return new Upload({
            client,
            params: { Bucket: BUCKET, Key, Body: data },
            partSize: partSizeBytes,
            queueSize: partConcurrency,
          }).done();
        }),
      );
    };

    const mantaMs: number[] = [];
    const bareMs: number[] = [];
    // The server's variables give both clients the same SDK checksum settings.
    await withS3Env(server, async () => {
      // Warm-up, then alternate the two so that drift on a shared machine hits both alike.
      for (let i = 0; i <= repetitions; i++) {
        for (const [fn, times, prefix] of [
          [manta, mantaMs, 'manta'],
          [bare, bareMs, 'bare'],
        ] as const) {
          await deletePrefix(client, `${prefix}/`);
          const start = performance.now();
          await fn(i);
          if (i > 0) times.push(performance.now() - start);
        }
      }
    });
    await deletePrefix(client, '');

    const mbps = (ms: number) => totalBytes / MIB / (ms / 1000);
    const params = {
      totalMiB: Math.round((totalBytes / MIB) * 10) / 10,
      files: Object.keys(layout).length,
      partSizeMiB: partSizeBytes / MIB,
      partConcurrency,
      fileConcurrency: 4,
      bufferFilesUpToMiB: 128,
      repetitions,
      server: 's3rver (child process, loopback)',
    };
    ctx.emit({
      name: 'checkpoint_upload_s3',
      unit: 'MB/s',
      value: mbps(median(mantaMs)),
      baseline: { name: 's3_client_put', value: mbps(median(bareMs)) },
      params,
    });
  } finally {
    client.destroy();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function deletePrefix(client: S3Client, prefix: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (keys.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys, Quiet: true } }));
  }
}
