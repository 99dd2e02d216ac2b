import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { actorState, clusterStatus, get, getActor, init, kill, placementGroup, shutdown } from '@manta/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDaemons } from '../../packages/core/src/cluster/daemon.ts';
import { Counter, sleepWhere, square } from '../fixtures/core-fixtures.ts';
import { isAlive, waitFor } from '../harness/processes.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/core/bin/manta.mjs', import.meta.url));
const sessions = mkdtempSync(join(tmpdir(), 'manta-multinode-'));
const env = { ...process.env, MANTA_SESSIONS_DIR: sessions };
const manta = (...args: string[]) => run(process.execPath, [bin, ...args], { env });

let address = '';
let token = '';
let daemons: { pid: number; role: string; nodeId: string }[] = [];
let joinedPid = 0;

/** Starts a node agent joining the head with `manta start`; returns every daemon now running. */
async function joinNode(cpus: string, resources: string) {
  await manta('start', '--address', address, '--token', token, '--num-cpus', cpus, '--resources', resources);
  process.env.MANTA_SESSIONS_DIR = sessions;
  try {
    return listDaemons();
  } finally {
    delete process.env.MANTA_SESSIONS_DIR;
  }
}

beforeAll(async () => {
  const head = await manta('start', '--head', '--num-cpus', '2', '--driver-timeout', '5');
  address = /nats:\/\/[\d.:]+/.exec(head.stdout)![0];
  token = /Token: (\S+)/.exec(head.stdout)![1];
  daemons = await joinNode('2', '{"bigmem":1}');
  joinedPid = daemons.find((d) => d.role === 'node')!.pid;
  await init({ address, token });
}, 60_000);

afterAll(async () => {
  await shutdown();
  await manta('stop').catch(() => undefined);
  await waitFor(() => daemons.every((d) => !isAlive(d.pid)), 15_000, 'the daemons to stop').catch(
    () => undefined,
  );
  rmSync(sessions, { recursive: true, force: true });
});

describe('multinode - manta start/stop, several node agents, node failure', () => {
  it('joins a node with its own resources and schedules onto every node', async () => {
    expect(daemons.map((d) => d.role).sort()).toEqual(['head', 'node']);
    expect(joinedPid).toBeGreaterThan(0);
    const status = await clusterStatus();
    expect(status.nodes.filter((n) => n.alive).length).toBe(2);
    const joined = daemons.find((d) => d.pid === joinedPid)!;
    const onBigmem = await get(sleepWhere.options({ resources: { bigmem: 1 } }).remote(10));
    expect(onBigmem.nodePid).toBe(joined.pid);
    const spread = await get([0, 1, 2, 3].map(() => sleepWhere.remote(800)));
    expect(new Set(spread.map((s) => s.nodePid)).size).toBe(2);
  });

  it('places SPREAD bundles on different nodes and STRICT_PACK bundles on one', async () => {
    const spread = await placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: 'SPREAD' });
    const spreadNodes = await spread.ready(20_000);
    expect(new Set(spreadNodes).size).toBe(2);
    const where = await get(
      [0, 1].map((i) => sleepWhere.options({ placementGroup: spread.bundle(i) }).remote(10)),
    );
    expect(new Set(where.map((w) => w.nodePid)).size).toBe(2);
    await spread.remove();
    const packed = await placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_PACK' });
    const packedNodes = await packed.ready(20_000);
    expect(new Set(packedNodes).size).toBe(1);
    await packed.remove();
  });

  it('a request no node can satisfy waits, shows as pending, and runs once a node that can joins', async () => {
    const ref = sleepWhere.options({ resources: { accelerator: 1 } }).remote(10);
    await waitFor(
      async () => (await clusterStatus()).pendingDemands.some((d) => d.accelerator === 1),
      10_000,
      'the demand to be pending',
    );
    const { stdout } = await manta('status');
    expect(stdout).toMatch(/pending demands: .*accelerator: 1/);
    daemons = await joinNode('1', '{"accelerator":1}');
    const third = daemons.find((d) => d.role === 'node' && d.pid !== joinedPid)!;
    expect((await get(ref)).nodePid).toBe(third.pid);
  }, 60_000);

  it('re-runs the tasks of a SIGKILLed node agent on another node', async () => {
    const joined = daemons.find((d) => d.pid === joinedPid)!;
    const head = daemons.find((d) => d.role === 'head')!;
    const refs = [0, 1, 2, 3].map(() => sleepWhere.options({ maxRetries: 2 }).remote(3000));
    await waitFor(async () => (await clusterStatus()).runningTasks >= 4, 20_000, 'the tasks to start');
    process.kill(joined.pid, 'SIGKILL');
    const results = await get(refs);
    expect(results.every((r) => r.nodePid !== joined.pid)).toBe(true);
    expect(results.some((r) => r.nodePid === head.pid)).toBe(true);
    const status = await clusterStatus();
    expect(status.nodes.find((n) => n.nodeId === joined.nodeId)?.alive).toBe(false);
    expect(await get(square.remote(5))).toBe(25);
  }, 90_000);

  it('what a driver that joined on its own started ends with it: on shutdown(), and when it is SIGKILLed', async () => {
    const fixture = fileURLToPath(new URL('../fixtures/lone-driver.ts', import.meta.url));
    const mine = await Counter.options({ numCpus: 0 }).remote(0);
    for (const ending of ['shutdown', 'SIGKILL'] as const) {
      const idle = (await clusterStatus()).runningTasks;
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, ending], {
        env: { ...process.env, MANTA_ADDRESS: address, MANTA_TOKEN: token },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
      });
      const taskPid = (await waitFor(() => /READY (\d+)/.exec(out), 30_000, 'the driver to start'))[1];
      // What its task printed reached it (no node prints to a console here), tagged, on each stream.
      expect(out).toContain(`(worker pid=${taskPid}, node=`);
      expect(out).toMatch(new RegExp(`\\) printed by a task of ${ending}\\n`));
      await waitFor(() => err.includes(`printed by a task of ${ending} (stderr)`), 5_000, 'its stderr line');
      const owned = await getActor<{ inc(by: number): number }>(`owned-${ending}`);
      expect(await get(owned.inc.remote(1))).toBe(2);
      await waitFor(async () => (await clusterStatus()).runningTasks > idle, 20_000, 'its task to run');

      if (ending === 'shutdown') child.stdin!.write('bye\n');
      else child.kill('SIGKILL');
      // shutdown() ends the job at once; a killed driver's job ends after --driver-timeout (5 s).
      const ended = () =>
        getActor(`owned-${ending}`).then(
          () => false,
          () => true,
        );
      await waitFor(ended, ending === 'shutdown' ? 4_000 : 20_000, 'its actor to end');
      expect(await actorState(owned)).toBe('DEAD');
      await waitFor(async () => (await clusterStatus()).runningTasks === idle, 20_000, 'its task to end');
      // Its detached actor outlives it, and so does this driver's own actor.
      const kept = await getActor<{ inc(by: number): number }>(`kept-${ending}`);
      expect(await get(kept.inc.remote(1))).toBe(2);
      await kill(kept);
      expect(await get(mine.inc.remote(1))).toBeGreaterThan(0);
    }
  }, 90_000);

  it('refuses a second head on the NATS server of a live one', async () => {
    const second = manta('start', '--head', '--address', address, '--token', token, '--no-node');
    await expect(second).rejects.toThrow(/a head is already running on this NATS server/);
    expect((await clusterStatus()).nodes.filter((n) => n.alive).length).toBeGreaterThan(0);
    expect(await get(square.remote(6))).toBe(36);
  });

  it('`manta stop` stops what `manta start` started', async () => {
    await shutdown();
    const { stdout } = await manta('stop');
    expect(stdout).toMatch(/stopped head/);
    const head = daemons.find((d) => d.role === 'head')!;
    await waitFor(() => !isAlive(head.pid), 15_000, 'the head to stop');
  });
});
