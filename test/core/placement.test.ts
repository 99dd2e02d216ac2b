import {
  ActorDiedError,
  actorState,
  clusterStatus,
  get,
  InfeasibleResourcesError,
  init,
  placementGroup,
  shutdown,
} from '@manta/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, sleepStamp } from '../fixtures/core-fixtures.ts';
import { waitFor } from '../harness/processes.ts';

beforeAll(async () => {
  await init({ numCpus: 3, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
});

describe('placement groups - one node', () => {
  it('reserves bundles atomically: tasks inside run within the bundle, the rest of the node stays free', async () => {
    const group = await placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_PACK' });
    const nodes = await group.ready();
    expect(nodes).toHaveLength(2);
    expect(nodes[0]).toBe(nodes[1]);
    const status = await clusterStatus();
    expect(status.nodes[0].available.CPU).toBe(1);
    expect(status.placementGroups.map((g) => g.state)).toContain('CREATED');
    // Three 1-CPU tasks in bundle 0 run one at a time: the bundle holds one CPU.
    const inBundle = await get(
      [0, 1, 2].map(() => sleepStamp.options({ placementGroup: group.bundle(0) }).remote(200)),
    );
    const sorted = [...inBundle].sort((a, b) => a.start - b.start);
    expect(sorted[1].start).toBeGreaterThanOrEqual(sorted[0].end - 5);
    expect(sorted[2].start).toBeGreaterThanOrEqual(sorted[1].end - 5);
    // Any bundle: two at once.
    const [a, b] = await get([0, 1].map(() => sleepStamp.options({ placementGroup: group }).remote(3000)));
    expect(a.start < b.end && b.start < a.end, JSON.stringify([a, b])).toBe(true);
    await group.remove();
    await waitFor(
      async () => (await clusterStatus()).nodes[0].available.CPU === 3,
      5000,
      'the CPUs to come back',
    );
  });

  it('an actor in a group dies when the group is removed', async () => {
    const group = await placementGroup([{ CPU: 1 }]);
    await group.ready();
    const counter = await Counter.options({ placementGroup: group.bundle(0) }).remote();
    expect(await get(counter.inc.remote(1))).toBe(1);
    await group.remove();
    await waitFor(async () => (await actorState(counter)) === 'DEAD', 10_000, 'the actor to die');
    await expect(get(counter.inc.remote(1))).rejects.toBeInstanceOf(ActorDiedError);
  });

  it('rejects groups that can never fit and bad arguments, naming what is wrong', async () => {
    await expect(
      placementGroup([{ CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_SPREAD' }),
    ).rejects.toBeInstanceOf(InfeasibleResourcesError);
    await expect(placementGroup([{ GPU: 1 }])).rejects.toThrow(/cannot fit/);
    await expect(placementGroup([])).rejects.toThrow(/at least one bundle/);
    await expect(placementGroup([{ CPU: 1 }], { strategy: 'RANDOM' as never })).rejects.toThrow(/strategy/);
    const group = await placementGroup([{ CPU: 1 }]);
    expect(() => group.bundle(3)).toThrow(/outside 0..0/);
    await expect(
      get(
        sleepStamp
          .options({ placementGroup: { groupId: group.groupId, bundleIndex: 0 }, numCpus: 2 })
          .remote(1),
      ),
    ).rejects.toThrow(/large enough/);
    await group.remove();
  });
});
