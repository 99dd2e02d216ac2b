import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startS3Server } from '../../../../test/harness/s3.ts';
import { describeStorageConformance } from './conformance.ts';
import { storageFor } from './registry.ts';

describeStorageConformance('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'manta-fs-'));
  const storage = storageFor(root);
  return {
    storage,
    atomicReplace: true,
    cleanup: async () => {
      await storage.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describeStorageConformance('s3', async () => {
  const server = await startS3Server({ buckets: ['conformance'] });
  const { endpoint, accessKeyId, secretAccessKey, region } = server;
  const storage = storageFor('s3://conformance/root', {
    s3: { endpoint, accessKeyId, secretAccessKey, region },
  });
  return {
    storage,
    // s3rver writes objects in place (AWS S3 and MinIO replace them atomically).
    atomicReplace: false,
    cleanup: async () => {
      await storage.close();
      await server.stop();
    },
  };
});
