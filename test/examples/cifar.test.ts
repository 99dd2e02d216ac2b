import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listCheckpoints } from '@manta/train';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../examples/cifar/src/main.ts';
import { runSweep } from '../../examples/cifar/src/tune.ts';
import { startS3Server } from '../harness/s3.ts';

const storage = mkdtempSync(join(tmpdir(), 'manta-cifar-'));
afterAll(() => rmSync(storage, { recursive: true, force: true }));

describe('examples/cifar - the end-to-end demo in quick mode', () => {
  it('trains 2 workers well above chance, checkpoints, resumes, and ONNX agrees with tfjs', async () => {
    const first = await runDemo({ quick: true, storage, name: 'ci', epochs: 2 });
    expect(first.epochs).toBe(2);
    expect(first.startEpoch).toBe(0);
    expect(first.tfjsAccuracy).toBeGreaterThan(0.3); // chance is 0.1
    expect(first.checkpoint).toMatch(/checkpoint_00000[01]$/);
    expect(existsSync(first.onnxPath)).toBe(true);
    expect(first.agreement).toBeGreaterThan(0.99);
    expect(Math.abs(first.onnxAccuracy - first.tfjsAccuracy)).toBeLessThan(0.01);
    expect((await listCheckpoints(first.runDir)).length).toBeGreaterThanOrEqual(1);

    // --resume: continues from the latest checkpoint (epoch 1) to epoch 3.
    const resumed = await runDemo({ quick: true, storage, name: 'ci', epochs: 3, resume: true });
    expect(resumed.startEpoch).toBe(2);
    expect(resumed.epochs).toBe(1);
    expect(resumed.tfjsAccuracy).toBeGreaterThan(0.3);
    expect(resumed.agreement).toBeGreaterThan(0.99);
  }, 240_000);

  it('tune.ts: an ASHA sweep of trainer trials, then the best checkpoint evaluated on the test split', async () => {
    const summary = await runSweep({ quick: true, samples: 4, storage, seed: 7 });
    expect(summary.trials).toBe(4);
    expect(summary.iterations).toBeGreaterThanOrEqual(4);
    expect(summary.iterations).toBeLessThanOrEqual(12);
    expect(summary.bestValAcc).toBeGreaterThan(0.3);
    expect(summary.testAccuracy).toBeGreaterThan(0.3);
    expect(Object.keys(summary.bestConfig)).toEqual(['trainLoopConfig']);
  }, 300_000);

  it('--storage s3://...: checkpoints go to S3 and --resume continues from there', async () => {
    const s3 = await startS3Server({ buckets: ['runs'], process: true });
    const saved = { ...process.env };
    Object.assign(process.env, s3.env);
    try {
      const first = await runDemo({ quick: true, storage: 's3://runs/demo', name: 's3run', epochs: 1 });
      expect(first.checkpoint).toBe('s3://runs/demo/s3run/checkpoint_000000');
      expect(first.agreement).toBeGreaterThan(0.99);
      const resumed = await runDemo({
        quick: true,
        storage: 's3://runs/demo',
        name: 's3run',
        epochs: 2,
        resume: true,
      });
      expect(resumed.startEpoch).toBe(1);
      expect(resumed.checkpoint).toBe('s3://runs/demo/s3run/checkpoint_000001');
    } finally {
      for (const key of Object.keys(s3.env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
      await s3.stop();
    }
  }, 240_000);
});
