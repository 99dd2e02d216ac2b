import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { init, shutdown } from '@manta/core';
import { DataParallelTrainer, listCheckpoints } from '@manta/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointingLoop } from '../fixtures/train-loops.ts';
import { type S3ServerHandle, startS3Server } from '../harness/s3.ts';

const scratch = mkdtempSync(join(tmpdir(), 'manta-train-faults-'));
let s3: S3ServerHandle;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['runs'] });
  // Workers inherit the driver's environment: point every S3 client at the test server.
  for (const [key, value] of Object.entries(s3.env)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  await init({ numCpus: 2, logToDriver: false });
}, 60_000);
afterAll(async () => {
  await shutdown();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function killedRun(storagePath: string, name: string) {
  const marker = join(scratch, `${name}.killed`);
  const result = await new DataParallelTrainer(checkpointingLoop, {
    trainLoopConfig: { epochs: 6, killAtEpoch: 3, killRank: 1, marker },
    scalingConfig: { numWorkers: 2, backend: 'cpu' },
    runConfig: { name, storagePath, verbose: false, failureConfig: { maxFailures: 1 } },
    collectiveTimeoutMs: 10_000,
  }).fit();
  return { result, marker };
}

describe('train - fault tolerance', () => {
  it('SIGKILL of a worker mid-run: the run restarts every worker from the latest checkpoint and completes', async () => {
    const { result, marker } = await killedRun(scratch, 'killed-local');
    expect(existsSync(marker)).toBe(true);
    expect(result.failures).toBe(1);
    expect(result.metrics.epoch).toBe(5);
    // total = 0+1+...+5 only if no epoch ran twice and none was skipped.
    expect(result.metrics.total).toBe(15);
    // After the restart the loop started at epoch 3 (from checkpoint 2), not from zero.
    const afterRestart = result.metricsHistory.filter((m) => m.startedAt !== 0);
    expect(afterRestart.map((m) => m.epoch)).toEqual([3, 4, 5]);
    expect(afterRestart[0].startedAt).toBe(3);
    expect((await listCheckpoints(result.path)).map((c) => c.index)).toEqual([0, 1, 2, 3, 4, 5]);
  }, 120_000);

  it('the same with checkpoints on S3', async () => {
    const { result } = await killedRun('s3://runs/experiments', 'killed-s3');
    expect(result.path).toBe('s3://runs/experiments/killed-s3');
    expect(result.failures).toBe(1);
    expect(result.metrics.total).toBe(15);
    expect(result.metricsHistory.filter((m) => m.startedAt !== 0).map((m) => m.epoch)).toEqual([3, 4, 5]);
    expect(result.checkpoint?.uri).toBe('s3://runs/experiments/killed-s3/checkpoint_000005');
  }, 120_000);

  it('a > 64 MB checkpoint goes to S3 (multipart) and a fresh driver process resumes from its s3:// URI', async () => {
    s3.clearRequests();
    const first = await new DataParallelTrainer(checkpointingLoop, {
      trainLoopConfig: { epochs: 2, bigFileBytes: 70 * 1024 * 1024 },
      scalingConfig: { numWorkers: 1, backend: 'cpu' },
      runConfig: {
        name: 'big',
        storagePath: 's3://runs/experiments',
        verbose: false,
        checkpointConfig: { numToKeep: 1 },
      },
    }).fit();
    expect(s3.requests.some((r) => r.query.includes('uploadId'))).toBe(true);
    const uri = first.checkpoint!.uri;
    const script = fileURLToPath(new URL('../fixtures/resume-driver.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script], {
      env: { ...process.env, RESUME_FROM: uri, RESUME_STORAGE: scratch },
      maxBuffer: 1 << 20,
    });
    const resumed = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(resumed.startedAt).toBe(2);
    expect(resumed.epochs).toEqual([2, 3]);
    expect(resumed.total).toBe(0 + 1 + 2 + 3);
  }, 180_000);
});
