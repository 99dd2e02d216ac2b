import {
  ActorDiedError,
  actorState,
  clusterStatus,
  get,
  getActor,
  init,
  kill,
  shutdown,
  TaskError,
} from '@manta/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Broken, bumpCounter, Counter } from '../fixtures/core-fixtures.ts';
import { isAlive, waitFor } from '../harness/processes.ts';

beforeAll(async () => {
  await init({ numCpus: 4, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
});

describe('actors - stateful workers', () => {
  it('keeps state in its own process and runs one caller’s calls in submission order', async () => {
    const counter = await Counter.remote(10);
    const refs = Array.from({ length: 200 }, (_, i) => counter.inc.remote(i % 3));
    const values = await get(refs);
    let expected = 10;
    values.forEach((v, i) => {
      expected += i % 3;
      expect(v).toBe(expected);
    });
    expect(await get(counter.history.remote())).toEqual(Array.from({ length: 200 }, (_, i) => i % 3));
    expect(await get(counter.pid.remote())).not.toBe(process.pid);
    await kill(counter);
  });

  it('runs async methods concurrently up to maxConcurrency', async () => {
    const serial = await Counter.remote();
    const concurrent = await Counter.options({ maxConcurrency: 4 }).remote();
    const serialRuns = await get([0, 1, 2, 3].map(() => serial.slow.remote(200)));
    const concurrentRuns = await get([0, 1, 2, 3].map(() => concurrent.slow.remote(200)));
    const overlaps = (runs: { start: number; end: number }[]) =>
      runs.filter((a, i) => runs.some((b, j) => i !== j && b.start < a.end - 20 && a.start < b.end - 20))
        .length;
    expect(overlaps(serialRuns)).toBe(0);
    expect(overlaps(concurrentRuns)).toBeGreaterThanOrEqual(2);
    await kill(serial);
    await kill(concurrent);
  });

  it('an error in a method fails that call only; the actor keeps serving', async () => {
    const counter = await Counter.remote(1);
    await expect(get(counter.boom.remote())).rejects.toBeInstanceOf(TaskError);
    expect(await get(counter.inc.remote(1))).toBe(2);
    await kill(counter);
  });

  it('restarts a SIGKILLed actor with maxRestarts (the constructor runs again)', async () => {
    const counter = await Counter.options({ maxRestarts: 1 }).remote(100);
    expect(await get(counter.inc.remote(5))).toBe(105);
    const firstPid = await get(counter.pid.remote());
    process.kill(firstPid, 'SIGKILL');
    // The head's view first (restarted once, alive again), then this process's view of it.
    const record = async () => (await clusterStatus()).actors.find((a) => a.actorId === counter.actorId);
    await waitFor(
      async () => (await record())?.restarts === 1 && (await record())?.state === 'ALIVE',
      20_000,
      'the restart',
    );
    await waitFor(
      async () => (await actorState(counter)) === 'ALIVE' && !isAlive(firstPid),
      20_000,
      'the new incarnation',
    );
    expect(await get(counter.inc.remote(1))).toBe(101);
    const secondPid = await get(counter.pid.remote());
    expect(secondPid).not.toBe(firstPid);
    process.kill(secondPid, 'SIGKILL');
    await waitFor(async () => (await actorState(counter)) === 'DEAD', 20_000, 'the actor to be dead');
    await expect(get(counter.inc.remote(1))).rejects.toBeInstanceOf(ActorDiedError);
  });

  it('fails calls with ActorDiedError when an actor without restarts is SIGKILLed, also calls in flight', async () => {
    const counter = await Counter.remote();
    const victim = await get(counter.pid.remote());
    const inflight = counter.slow.remote(5000);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(victim, 'SIGKILL');
    await expect(get(inflight)).rejects.toBeInstanceOf(ActorDiedError);
    const error = await get(counter.inc.remote(1)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActorDiedError);
    expect((error as ActorDiedError).actorId).toBe(counter.actorId);
  });

  it('a constructor that throws makes the actor dead with the cause', async () => {
    const broken = await Broken.remote();
    const error = await get(broken.ping.remote()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActorDiedError);
    expect((error as Error).message).toContain('constructor exploded');
  });

  it('finds named actors, passes handles to other actors, and kill() ends them', async () => {
    const named = await Counter.options({ name: 'global-counter' }).remote(7);
    const found = await getActor('global-counter');
    expect(found.actorId).toBe(named.actorId);
    expect(await get(named.inc.remote(1))).toBe(8);
    expect(await get(bumpCounter.remote(found as never, 10))).toBe(18);
    await expect(Counter.options({ name: 'global-counter' }).remote()).rejects.toThrow(/already exists/);
    await kill(named);
    await waitFor(async () => (await actorState(named)) === 'DEAD', 10_000, 'the kill');
    await expect(get(named.inc.remote(1))).rejects.toBeInstanceOf(ActorDiedError);
    await expect(getActor('global-counter')).rejects.toThrow(/no live actor/);
    await expect(getActor('')).rejects.toThrow(/non-empty/);
    await expect(kill({} as never)).rejects.toThrow(/actor handle/);
    expect(() => Counter.options({ maxRestarts: -2 })).toThrow(/maxRestarts/);
  });

  it('actor calls and task results are objects: they can be awaited together', async () => {
    const counter = await Counter.remote();
    const values = await get([counter.inc.remote(1), counter.inc.remote(1)]);
    expect(values).toEqual([1, 2]);
    await kill(counter);
  });
});
