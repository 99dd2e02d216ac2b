import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { ActorSpec, TaskSpec } from '../protocol/index.ts';
import type { ActorRecord, NodeRecord, WorkerRecord } from './cluster-state.ts';
import { PlacementGroups } from './placement-groups.ts';
import { Recovery, type RecoveryHost } from './recovery.ts';
import type { HeadState, StoredActor } from './state-store.ts';

const fn = { module: 'file:///m.ts', key: 'k', name: 'f' };
const actorSpec = (actorId: string, extra: Partial<ActorSpec> = {}): ActorSpec => ({
  actorId,
  owner: 'o',
  cls: fn,
  args: new Uint8Array(0),
  resolveArgs: [],
  resources: { CPU: 0.5 },
  maxRestarts: 0,
  maxConcurrency: 1,
  ...extra,
});
const stored = (spec: ActorSpec, extra: Partial<StoredActor>): StoredActor => ({
  spec,
  state: 'ALIVE',
  incarnation: 0,
  restarts: 0,
  ...extra,
});
const task: TaskSpec = {
  taskId: 't1',
  owner: 'o',
  fn,
  args: new Uint8Array(0),
  resolveArgs: [],
  resources: { CPU: 1 },
  maxRetries: 3,
  attempt: 0,
};
const noResponders = Object.assign(new Error('503'), { cause: { code: '503' } });

/** A fake head: the maps recovery rebuilds, and a log of the actions it asks for. */
function fakeHead(answers: Record<string, unknown>) {
  const actions: string[] = [];
  const host: RecoveryHost = {
    nodes: new Map<string, NodeRecord>(),
    workers: new Map<string, WorkerRecord>(),
    actors: new Map<string, ActorRecord>(),
    names: new Map<string, string>(),
    groups: new PlacementGroups(),
    pendingActors: [],
    maxIdleWorkersPerNode: 4,
    killWorker: (w) => actions.push(`kill ${w.workerId}`),
    release: (w) => actions.push(`release ${w.workerId}`),
    setActorState: (record, state) => {
      record.state = state;
      actions.push(`${record.spec.actorId} ${state}`);
    },
    onActorWorkerLost: (actorId) => actions.push(`lost ${actorId}`),
    persistActor: () => undefined,
    schedule: () => undefined,
    recovered: () => actions.push('recovered'),
    describe: async (workerId) => {
      const answer = answers[workerId];
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
  return { host, actions, recovery: new Recovery(host, pino({ level: 'silent' })) };
}

const state: HeadState = {
  nodes: [
    { nodeId: 'n1', hostname: 'h', pid: 1, total: { CPU: 4 }, alive: true },
    { nodeId: 'n2', hostname: 'h', pid: 2, total: { CPU: 4 }, alive: true },
    { nodeId: 'n3', hostname: 'h', pid: 3, total: { CPU: 4 }, alive: false },
  ],
  actors: [
    stored(actorSpec('a1', { name: 'keeper' }), { workerId: 'w1', nodeId: 'n1' }),
    stored(actorSpec('a2', { maxRestarts: 1 }), { workerId: 'w2', nodeId: 'n2' }),
    stored(actorSpec('a3'), { state: 'PENDING' }),
    stored(actorSpec('a4', { placement: { groupId: 'g1', bundleIndex: -1 } }), {
      workerId: 'w4',
      nodeId: 'n1',
      claimIndex: 0,
    }),
    stored(actorSpec('a5'), { state: 'DEAD' }),
  ],
  groups: [
    {
      groupId: 'g1',
      bundles: [{ CPU: 1 }],
      strategy: 'PACK',
      state: 'CREATED',
      generation: 1,
      nodeIds: ['n1'],
    },
    {
      groupId: 'g2',
      bundles: [{ CPU: 1 }],
      strategy: 'PACK',
      state: 'CREATED',
      generation: 1,
      nodeIds: ['n3'],
    },
  ],
};

describe('head recovery - rebuilding the head after a restart', () => {
  it('keeps actors on live workers, running tasks, and exact free resources; restarts the rest', async () => {
    const { host, actions, recovery } = fakeHead({
      w1: { workerId: 'w1', job: { kind: 'actor', actorId: 'a1', incarnation: 0, status: 'ready' } },
      w4: { workerId: 'w4', job: { kind: 'actor', actorId: 'a4', incarnation: 0, status: 'ready' } },
      w5: { workerId: 'w5', job: { kind: 'task', spec: task } },
      w6: { workerId: 'w6' },
      w7: noResponders,
    });
    recovery.restore(state);
    recovery.begin();
    expect(recovery.recovering).toBe(true);
    expect(host.names.get('keeper')).toBe('a1');
    expect(host.nodes.get('n1')?.recovering).toBe(true);
    // A group with a bundle on a node already dead is placed again.
    expect(host.groups.groups.get('g2')?.state).toBe('PENDING');

    const n1 = host.nodes.get('n1')!;
    recovery.reconcileNode(
      n1,
      ['w1', 'w4', 'w5', 'w6', 'w7'].map((workerId) => ({ workerId, pid: 1 })),
    );
    await new Promise((r) => setTimeout(r, 10));
    expect(n1.recovering).toBe(false);
    // 4 CPUs - the group's bundle (1) - actor a1 (0.5) - the running task (1); a4 uses its bundle.
    expect(n1.available).toEqual({ CPU: 1.5 });
    expect(host.groups.groups.get('g1')?.available).toEqual([{ CPU: 0.5 }]);
    expect(host.workers.get('w4')?.claim).toEqual({ groupId: 'g1', index: 0, generation: 1 });
    expect(host.workers.get('w5')).toMatchObject({
      state: 'busy',
      job: { kind: 'task', spec: { taskId: 't1' } },
    });
    expect(host.workers.get('w6')?.state).toBe('idle');
    expect(n1.idleWorkers).toEqual(['w6']);
    expect(host.workers.get('w7')?.state).toBe('starting'); // not connected yet
    expect(host.actors.get('a1')).toMatchObject({ state: 'ALIVE', workerId: 'w1', incarnation: 0 });
    expect(actions).toEqual([]);

    // n2 never registers: declared dead by the node timeout, which ends the recovery.
    host.nodes.get('n2')!.alive = false;
    recovery.nodeDead('n2');
    expect(recovery.recovering).toBe(false);
    expect(actions).toEqual(['lost a2', 'recovered']);
    expect(host.pendingActors).toEqual(['a3']); // never constructed: placed again, no restart counted
  });

  it('stops workers with stale actors and adopts a newer incarnation than the stored one', async () => {
    const { host, actions, recovery } = fakeHead({
      w1: { workerId: 'w1', job: { kind: 'actor', actorId: 'a1', incarnation: 2, status: 'starting' } },
      w8: { workerId: 'w8', job: { kind: 'actor', actorId: 'a5', incarnation: 0, status: 'ready' } },
      w9: { workerId: 'w9', job: { kind: 'actor', actorId: 'unknown', incarnation: 0, status: 'ready' } },
    });
    recovery.restore(state);
    recovery.reconcileNode(
      host.nodes.get('n1')!,
      ['w1', 'w8', 'w9'].map((workerId) => ({ workerId, pid: 1 })),
    );
    await new Promise((r) => setTimeout(r, 10));
    // The stored record lagged behind (the old head restarted it twice): the worker's word wins,
    // and the actor is RESTARTING until its constructor finishes. w8 hosts a DEAD actor, w9 one
    // the head never knew: both are stopped.
    expect(actions).toEqual(['a1 RESTARTING', 'kill w8', 'kill w9']);
    expect(host.actors.get('a1')).toMatchObject({ incarnation: 2, restarts: 2, workerId: 'w1' });
  });

  it('a head with nothing stored is ready at once', () => {
    const { actions, recovery } = fakeHead({});
    recovery.begin();
    expect(recovery.recovering).toBe(false);
    expect(actions).toEqual(['recovered']);
  });
});
