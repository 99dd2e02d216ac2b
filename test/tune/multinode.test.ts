/**
 * Trials on another node: a node agent process (its own cwd and TMPDIR) runs the trials, so the
 * checkpoints they make are folders the driver never reads. They reach the experiment through
 * the object store (a driver-local folder) or straight from the trial process (S3), resume from
 * there, and PBT's exploit clones them either way.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { init, shutdown } from '@manta/core';
import { ActorTrialExecutor, gridSearch, PopulationBasedTraining, Tuner, withResources } from '@manta/tune';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDaemons } from '../../packages/core/src/cluster/daemon.ts';
import { climber } from '../fixtures/tune-trainables.ts';
import { descendants, isAlive, waitFor } from '../harness/processes.ts';
import { type S3ServerHandle, startS3Server } from '../harness/s3.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/core/bin/manta.mjs', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'manta-tune-multinode-'));
const sessions = join(scratch, 'sessions');
const farTmp = join(scratch, 'far-tmp');
const farCwd = join(scratch, 'far-cwd');
let s3: S3ServerHandle;
let agentPid = 0;
/** The far node's session folder: its workers' temp folders are in it. */
let farSession = '';
let daemons: { pid: number }[] = [];

/** Trials that only the far node can hold. */
const farClimber = withResources(climber, { CPU: 1, far: 1 });

beforeAll(async () => {
  mkdirSync(farTmp, { recursive: true });
  mkdirSync(farCwd, { recursive: true });
  s3 = await startS3Server({ buckets: ['tune'] });
  Object.assign(process.env, s3.env);
  const env = { ...process.env, MANTA_SESSIONS_DIR: sessions };
  const head = await run(process.execPath, [bin, 'start', '--head', '--num-cpus', '1'], { env });
  const address = /nats:\/\/[\d.:]+/.exec(head.stdout)![0];
  const token = /Token: (\S+)/.exec(head.stdout)![1];
  await run(
    process.execPath,
    [bin, 'start', '--address', address, '--token', token, '--num-cpus', '2', '--resources', '{"far":2}'],
    { env: { ...env, TMPDIR: farTmp }, cwd: farCwd },
  );
  process.env.MANTA_SESSIONS_DIR = sessions;
  try {
    daemons = listDaemons();
    const farNode = listDaemons().find((d) => d.role === 'node')!;
    agentPid = farNode.pid;
    farSession = farNode.sessionDir;
  } finally {
    delete process.env.MANTA_SESSIONS_DIR;
  }
  await init({ address, token });
}, 90_000);

afterAll(async () => {
  await shutdown();
  await run(process.execPath, [bin, 'stop'], { env: { ...process.env, MANTA_SESSIONS_DIR: sessions } }).catch(
    () => undefined,
  );
  await waitFor(() => daemons.every((d) => !isAlive(d.pid)), 15_000, 'the daemons to stop').catch(
    () => undefined,
  );
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const rows = (grid: Awaited<ReturnType<Tuner['fit']>>) =>
  Array.from({ length: grid.length }, (_, i) => grid.get(i));

/** Two climbers that start together and step every 100 ms, so PBT sees both at each perturbation. */
function population() {
  const barrier = mkdtempSync(join(scratch, 'barrier-'));
  return { rate: gridSearch([1, 10]), iters: 6, sleepMs: 100, barrier, population: 2 };
}

function pbt() {
  return new PopulationBasedTraining({
    perturbationInterval: 2,
    hyperparamMutations: { rate: [1, 10] },
    quantileFraction: 0.5,
    resampleProbability: 0,
    seed: 1,
  });
}

describe('tune - trials on another node', () => {
  it('checkpoints cross through the object store into a driver-local experiment; PBT clones them', async () => {
    const storagePath = join(scratch, 'local');
    const grid = await new Tuner(farClimber, {
      paramSpace: population(),
      tuneConfig: { metric: 'w', mode: 'max', scheduler: pbt(), maxConcurrentTrials: 2 },
      runConfig: { name: 'pbt', storagePath, verbose: 0 },
      executor: new ActorTrialExecutor(farClimber, { checkpointTransfer: 'objectStore' }),
    }).fit();
    const results = rows(grid);
    expect(results.map((r) => r.status)).toEqual(['TERMINATED', 'TERMINATED']);
    const agentProcs = new Set(descendants(agentPid));
    for (const r of results) {
      for (const h of r.metricsHistory) {
        // Made on the far node, in a worker's temp folder in that node's session, by that worker.
        expect(dirname(h.tmp as string)).toBe(join(farSession, 'tmp'));
        expect(agentProcs.has(Number(h.pid))).toBe(true);
      }
      // The latest checkpoint is in the driver's experiment folder, with the trial's last height.
      expect(r.checkpoint?.startsWith(join(storagePath, 'pbt'))).toBe(true);
      expect(readFileSync(join(r.checkpoint!, 'w'), 'utf8')).toBe(String(r.metrics?.w));
    }
    assertExploited(results);
    // The far node's checkpoint folders were its own: none of them is the experiment's.
    expect(readdirSync(join(storagePath, 'pbt')).some((n) => n.startsWith('manta-tune-climb-'))).toBe(false);
  }, 120_000);

  it('with S3 storage the trial process uploads its checkpoints; resume and PBT exploit read them from S3', async () => {
    s3.clearRequests();
    const grid = await new Tuner(farClimber, {
      paramSpace: population(),
      tuneConfig: { metric: 'w', mode: 'max', scheduler: pbt(), maxConcurrentTrials: 2 },
      runConfig: { name: 'pbt', storagePath: 's3://tune/multinode', verbose: 0 },
    }).fit();
    const results = rows(grid);
    expect(results.map((r) => r.status)).toEqual(['TERMINATED', 'TERMINATED']);
    assertExploited(results);
    for (const r of results)
      expect(r.checkpoint).toMatch(/^s3:\/\/tune\/multinode\/pbt\/.+\/checkpoint_\d{6}$/);
    const markers = s3.requests.filter(
      (q) => q.method === 'PUT' && /\/checkpoint_\d+\/\.manta_checkpoint_complete$/.test(q.path),
    );
    expect(markers.length).toBeGreaterThanOrEqual(12);
    // The driver's staging folder is gone once fit() returns.
    const staging = readdirSync(tmpdir()).filter((n) => {
      const owner = join(tmpdir(), n, '.manta_staging_owner.json');
      return existsSync(owner) && readFileSync(owner, 'utf8').includes('s3://tune/multinode');
    });
    expect(staging).toEqual([]);
  }, 120_000);
});

/**
 * The slow climber (rate 1) is exploited at least once: it restarts from the fast one's
 * checkpoint, so a run of it starts from a height the fast one reported at that iteration.
 */
function assertExploited(results: ReturnType<typeof rows>) {
  const fast = results.find((r) => r.metricsHistory[0]?.w === 10)!;
  const slow = results.find((r) => r.metricsHistory[0]?.w === 1)!;
  expect(fast).toBeDefined();
  expect(slow).toBeDefined();
  const heights = new Set(fast.metricsHistory.map((h) => h.w));
  const restarts = slow.metricsHistory.filter((h) => Number(h.from) > 0);
  expect(restarts.length).toBeGreaterThan(0);
  for (const h of restarts) expect(heights.has(h.from)).toBe(true);
}
