import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { actorState, clusterStatus, get, getActor, init, placementGroup, shutdown } from '@manta/core';
import {
  createLogger,
  currentRuntime,
  decode,
  encode,
  type NatsServerHandle,
  Subjects,
  startNatsServer,
} from '@manta/core/internal';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDaemons } from '../../packages/core/src/cluster/daemon.ts';
import { HeadStateStore, StateKeys } from '../../packages/core/src/head/index.ts';
import { Counter, sleepWhere, square } from '../fixtures/core-fixtures.ts';
import { isAlive, waitFor } from '../harness/processes.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/core/bin/manta.mjs', import.meta.url));
const sessions = mkdtempSync(join(tmpdir(), 'manta-head-restart-'));
const env = { ...process.env, MANTA_SESSIONS_DIR: sessions };
const manta = (...args: string[]) => run(process.execPath, [bin, ...args], { env });

let nats: NatsServerHandle;

function daemons() {
  process.env.MANTA_SESSIONS_DIR = sessions;
  try {
    return listDaemons();
  } finally {
    delete process.env.MANTA_SESSIONS_DIR;
  }
}

/** Starts a head with no node of its own on the standalone NATS server; returns its pid. */
async function startHeadProcess(): Promise<number> {
  const before = new Set(daemons().map((d) => d.pid));
  await manta('start', '--head', '--address', nats.url, '--token', nats.token, '--no-node');
  return daemons().find((d) => d.role === 'head' && !before.has(d.pid))!.pid;
}

/** The incarnation the head reports for an actor (bumped by every restart). */
async function incarnation(actorId: string): Promise<number> {
  const msg = await currentRuntime()!.nc.request(Subjects.actorState, encode({ actorId }), {
    timeout: 10_000,
  });
  return (decode(msg.data) as { body: { incarnation: number } }).body.incarnation;
}

beforeAll(async () => {
  nats = await startNatsServer(); // JetStream on: the KV bucket with the head state lives here
});

afterAll(async () => {
  await shutdown();
  await manta('stop').catch(() => undefined);
  const pids = daemons().map((d) => d.pid);
  await waitFor(() => pids.every((p) => !isAlive(p)), 15_000, 'the daemons to stop').catch(() => undefined);
  await nats?.stop();
  rmSync(sessions, { recursive: true, force: true });
});

describe('head-restart - state store', () => {
  it('stores nodes, actors and placement groups, coalescing writes per key, and loads them back', async () => {
    const nc = await connect({ servers: nats.url, token: nats.token });
    const log = createLogger('test', 'store');
    try {
      const store = await HeadStateStore.open(nc, log, { bucket: 'manta_head_test' });
      await store.clear();
      const spec = {
        actorId: 'a1',
        owner: 'o1',
        cls: { module: 'file:///x.ts', key: 'k', name: 'Counter' },
        args: new Uint8Array([1, 2, 3]),
        resolveArgs: [],
        resources: { CPU: 1 },
        maxRestarts: 2,
        maxConcurrency: 1,
        name: 'keeper',
      };
      let actor = { spec, state: 'PENDING', incarnation: 0, restarts: 0 } as Record<string, unknown>;
      const group = {
        groupId: 'g1',
        bundles: [{ CPU: 1 }, { CPU: 1 }],
        strategy: 'SPREAD',
        state: 'CREATED',
        generation: 1,
        nodeIds: ['n1', 'n2'],
      };
      const writes = [
        store.write(StateKeys.node('n1'), () => ({
          nodeId: 'n1',
          hostname: 'h',
          pid: 1,
          total: { CPU: 4 },
          alive: true,
        })),
        store.write(StateKeys.actor('a1'), () => actor),
        store.write(StateKeys.group('g1'), () => group),
        store.write(StateKeys.group('g2'), () => undefined), // gone: a delete
      ];
      // A later change of the same key before the flush: only the latest value is written.
      actor = { ...actor, state: 'ALIVE', workerId: 'w1', nodeId: 'n1' };
      store.write(StateKeys.actor('a1'), () => actor);
      await Promise.all(writes);
      await store.flush();

      const loaded = await (await HeadStateStore.open(nc, log, { bucket: 'manta_head_test' })).load();
      expect(loaded.nodes).toEqual([{ nodeId: 'n1', hostname: 'h', pid: 1, total: { CPU: 4 }, alive: true }]);
      expect(loaded.actors).toHaveLength(1);
      expect(loaded.actors[0]).toMatchObject({
        state: 'ALIVE',
        workerId: 'w1',
        nodeId: 'n1',
        incarnation: 0,
      });
      expect(loaded.actors[0].spec).toEqual(spec);
      expect(loaded.actors[0].spec.args).toBeInstanceOf(Uint8Array);
      expect(loaded.groups).toEqual([group]);

      await store.write(StateKeys.group('g1'), () => undefined);
      expect((await store.load()).groups).toEqual([]);
      await store.clear();
    } finally {
      await nc.close();
    }
  });
});

describe('head-restart - kill and restart the head, the cluster keeps its actors', () => {
  let headPid = 0;

  beforeAll(async () => {
    headPid = await startHeadProcess();
    for (let i = 0; i < 2; i++)
      await manta('start', '--address', nats.url, '--token', nats.token, '--num-cpus', '2');
    await init({ address: nats.url, token: nats.token });
  }, 60_000);

  it('keeps actors (state, incarnation, process), nodes, running tasks and task submission', async () => {
    const nodePids = daemons()
      .filter((d) => d.role === 'node')
      .map((d) => d.pid);
    expect(nodePids).toHaveLength(2);
    await waitFor(
      async () => (await clusterStatus()).nodes.filter((n) => n.alive).length === 2,
      20_000,
      'nodes',
    );

    const keeper = await Counter.options({ name: 'keeper', numCpus: 0.5 }).remote(10);
    const others = await Promise.all([1, 2].map((n) => Counter.options({ numCpus: 0.5 }).remote(n * 100)));
    expect(await get([keeper.inc.remote(3), ...others.map((c) => c.inc.remote(1))])).toEqual([13, 101, 201]);
    const actorPids = await get([keeper, ...others].map((c) => c.pid.remote()));
    // An actor in a placement-group bundle, and one whose process will die while there is no head.
    const group = await placementGroup([{ CPU: 0.25 }, { CPU: 0.25 }], { strategy: 'SPREAD' });
    await group.ready(20_000);
    const grouped = await Counter.options({ numCpus: 0.25, placementGroup: group.bundle(1) }).remote(50);
    const fragile = await Counter.options({ numCpus: 0.25, maxRestarts: 1 }).remote(5);
    expect(await get([grouped.inc.remote(1), fragile.inc.remote(1)])).toEqual([51, 6]);
    const fragilePid = await get(fragile.pid.remote());
    const running = sleepWhere.remote(6000);
    await waitFor(async () => (await clusterStatus()).runningTasks >= 1, 20_000, 'the long task to start');

    process.kill(headPid, 'SIGKILL');
    await waitFor(() => !isAlive(headPid), 10_000, 'the head to die');

    // No head: actor calls go straight to the actor's worker and keep working.
    expect(await get(keeper.inc.remote(1))).toBe(14);
    process.kill(fragilePid, 'SIGKILL');
    // Work submitted to the head while there is none waits for the next head.
    const duringOutage = square.remote(9);
    const createdDuringOutage = Counter.options({ numCpus: 0.5 }).remote(7);
    await new Promise((r) => setTimeout(r, 500));

    headPid = await startHeadProcess();

    const found = await getActor<{ inc(by: number): number; pid(): number }>('keeper');
    expect(found.actorId).toBe(keeper.actorId);
    expect(await get(found.inc.remote(1))).toBe(15); // its state survived: it was not restarted
    expect(await incarnation(keeper.actorId)).toBe(0);
    expect(await get([keeper, ...others].map((c) => c.pid.remote()))).toEqual(actorPids);
    expect(await get(others.map((c) => c.inc.remote(1)))).toEqual([102, 202]);
    expect(await get(grouped.inc.remote(1))).toBe(52);
    // The actor whose process died meanwhile is restarted (maxRestarts: 1), from its constructor.
    await waitFor(
      async () => (await actorState(fragile)) === 'ALIVE' && (await incarnation(fragile.actorId)) === 1,
      20_000,
      'the restart',
    );
    expect(await get(fragile.inc.remote(1))).toBe(6);
    // The task that ran across the restart returns its result; new and queued tasks run.
    const result = await get(running);
    expect(nodePids).toContain(result.nodePid);
    expect(await get(square.remote(7))).toBe(49);
    expect(await get(duringOutage)).toBe(81);
    const late = await createdDuringOutage;
    expect(await get(late.inc.remote(1))).toBe(8);

    const status = await waitFor(
      async () => {
        const s = await clusterStatus();
        return !s.head.recovering && s ? s : undefined;
      },
      20_000,
      'recovery to finish',
    );
    expect(
      status.nodes
        .filter((n) => n.alive)
        .map((n) => n.nodeId)
        .sort(),
    ).toEqual(
      daemons()
        .filter((d) => d.role === 'node')
        .map((d) => d.nodeId)
        .sort(),
    );
    const actors = new Map(status.actors.map((a) => [a.actorId, a]));
    for (const handle of [keeper, ...others, late, grouped]) {
      expect(actors.get(handle.actorId)).toMatchObject({ state: 'ALIVE', restarts: 0 });
    }
    expect(actors.get(fragile.actorId)).toMatchObject({ state: 'ALIVE', restarts: 1 });
    expect(status.placementGroups).toMatchObject([{ groupId: group.groupId, state: 'CREATED' }]);
    expect(actors.get(keeper.actorId)?.name).toBe('keeper');
    // No resources leaked or double-counted: with nothing running, every node is back to its total.
    await waitFor(async () => (await clusterStatus()).runningTasks === 0, 20_000, 'the tasks to finish');
    const used = (await clusterStatus()).nodes
      .filter((n) => n.alive)
      .reduce((sum, n) => sum + (n.total.CPU ?? 0) - (n.available.CPU ?? 0), 0);
    expect(used).toBeCloseTo(4 * 0.5 + 0.25 + 2 * 0.25); // four actors, fragile, the group's bundles

    const { stdout } = await manta(
      'status',
      '--address',
      nats.url,
      '--token',
      nats.token,
      '--format',
      'json',
    );
    const cli = JSON.parse(stdout) as { nodes: { alive: boolean }[]; actors: { name?: string }[] };
    expect(cli.nodes.filter((n) => n.alive)).toHaveLength(2);
    expect(cli.actors.some((a) => a.name === 'keeper')).toBe(true);
    await group.remove();
  }, 90_000);

  it('marks a stored node that never comes back dead after the node timeout and restarts its actors', async () => {
    const mover = await Counter.options({ numCpus: 0.25, maxRestarts: 1 }).remote(1);
    expect(await get(mover.inc.remote(1))).toBe(2);
    const where = (await clusterStatus()).actors.find((a) => a.actorId === mover.actorId)!.nodeId;
    const lost = daemons().find((d) => d.role === 'node' && d.nodeId === where)!;
    process.kill(headPid, 'SIGKILL');
    process.kill(lost.pid, 'SIGKILL');
    await waitFor(() => !isAlive(headPid) && !isAlive(lost.pid), 10_000, 'the head and a node to die');
    headPid = await startHeadProcess();
    // The lost node is awaited for the node timeout (10 s), then declared dead; the actor moves.
    await waitFor(
      async () => (await actorState(mover)) === 'ALIVE' && (await incarnation(mover.actorId)) === 1,
      40_000,
      'the actor to move',
    );
    expect(await get(mover.inc.remote(1))).toBe(2);
    const status = await clusterStatus();
    expect(status.head.recovering).toBe(false);
    expect(status.nodes.find((n) => n.nodeId === lost.nodeId)?.alive).toBe(false);
    expect(status.actors.find((a) => a.actorId === mover.actorId)?.nodeId).not.toBe(lost.nodeId);
    expect(await get(square.options({ numCpus: 0.25 }).remote(3))).toBe(9);
  }, 90_000);
});
