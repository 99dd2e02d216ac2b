/**
 * S3 experiments are staged in a local folder: it is removed when fit() ends, and a restore
 * removes the ones drivers that were killed left behind (never a live driver's).
 */
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storageFor } from '@manta/train';
import { report, Tuner, uniform } from '@manta/tune';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3ServerHandle, startS3Server } from '../harness/s3.ts';

let s3: S3ServerHandle;
const savedTmp = process.env.TMPDIR;
const tmp = mkdtempSync(join(tmpdir(), 'manta-tune-staging-'));

beforeAll(async () => {
  s3 = await startS3Server({ buckets: ['tune'] });
  Object.assign(process.env, s3.env);
  process.env.TMPDIR = tmp; // staging folders are made here
});
afterAll(async () => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  await s3?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function objective(config: Record<string, unknown>) {
  for (let i = 1; i <= 3; i++) {
    const dir = mkdtempSync(join(tmp, 'ckpt-'));
    writeFileSync(join(dir, 'i'), String(i));
    await report({ score: Number(config.x) * i }, { checkpoint: dir });
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Staging folders in `tmp` that say they stage `uri`. */
function stagingOf(uri: string): string[] {
  return readdirSync(tmp).filter((n) => {
    const owner = join(tmp, n, '.manta_staging_owner.json');
    return existsSync(owner) && readFileSync(owner, 'utf8').includes(uri);
  });
}

function fakeStaging(uri: string, pid: number): string {
  const dir = mkdtempSync(join(tmp, 'manta-tune-'));
  mkdirSync(join(dir, 'trial_x'));
  writeFileSync(join(dir, '.manta_staging_owner.json'), JSON.stringify({ uri, pid }));
  return dir;
}

describe('tune - S3 staging folders', () => {
  it('staging - fit() removes its staging folder; restore removes the ones of dead drivers only', async () => {
    const uri = storageFor('s3://tune/staging/sweep').uri;
    const grid = await new Tuner(objective, {
      paramSpace: { x: uniform(0, 1) },
      tuneConfig: { metric: 'score', mode: 'max', numSamples: 3, seed: 1 },
      runConfig: { name: 'sweep', storagePath: 's3://tune/staging', verbose: 0 },
    }).fit();
    expect(grid.numTerminated).toBe(3);
    expect(stagingOf(uri)).toEqual([]);
    // Checkpoints are named by URI once the staging folder is gone.
    expect(grid.getBestResult().checkpoint).toMatch(/^s3:\/\/tune\/staging\/sweep\/.+\/checkpoint_000002$/);

    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const stale = fakeStaging(uri, dead);
    const live = fakeStaging(uri, process.ppid); // a driver that is still running
    const other = fakeStaging('s3://tune/elsewhere', dead); // another experiment's
    const restored = await Tuner.restore('s3://tune/staging/sweep', objective, { runConfig: { verbose: 0 } });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    const again = await restored.fit();
    expect(again.numTerminated).toBe(3);
    // Only the live driver's folder is left for this experiment.
    expect(stagingOf(uri).map((n) => join(tmp, n))).toEqual([live]);
  });
});
