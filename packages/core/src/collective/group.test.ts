/** In-process groups over a real nats-server: API contract, validation and rendezvous checks. */
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectiveError, ConfigError } from '../errors/index.ts';
import { type NatsServerHandle, startNatsServer } from '../nats/index.ts';
import { createCollectiveGroup } from './create.ts';
import type { CollectiveGroup, CollectiveGroupOptions } from './types.ts';

let server: NatsServerHandle;
const conns: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
});
afterAll(async () => {
  await Promise.all(conns.map((nc) => nc.close()));
  await server?.stop();
});

async function nc(): Promise<NatsConnection> {
  const c = await connect({ servers: server.url, token: server.token });
  conns.push(c);
  return c;
}

async function makeGroups(
  name: string,
  n: number,
  extra: Partial<CollectiveGroupOptions> = {},
): Promise<CollectiveGroup[]> {
  const conns = await Promise.all(Array.from({ length: n }, () => nc()));
  return Promise.all(
    conns.map((c, rank) =>
      createCollectiveGroup({ nc: c, group: name, rank, worldSize: n, timeoutMs: 5000, ...extra }),
    ),
  );
}

describe('collective group', () => {
  for (const transport of ['tcp', 'nats'] as const) {
    it(`group - ${transport}: allReduce in place, bit-identical on every rank, concurrent calls keep their order`, async () => {
      const groups = await makeGroups(`inproc-${transport}`, 3, { transport });
      try {
        const bufs = groups.map((_, r) =>
          Float32Array.from({ length: 1001 }, (_, i) => Math.sin(i * (r + 1))),
        );
        const ints = groups.map((_, r) => Int32Array.from([r, 10 * r, -r]));
        // Two calls issued back to back without awaiting: sequence numbers keep them apart.
        const done = groups.map((g, r) =>
          Promise.all([g.allReduce(bufs[r], 'sum'), g.allReduce(ints[r], 'max')]),
        );
        const results = await Promise.all(done);
        expect(results[0][0]).toBe(bufs[0]);
        for (let i = 0; i < 1001; i++) {
          const ref = Math.sin(i) + Math.sin(2 * i) + Math.sin(3 * i);
          expect(Math.abs(bufs[0][i] - ref)).toBeLessThan(1e-6);
        }
        expect(Buffer.from(bufs[1].buffer).equals(Buffer.from(bufs[0].buffer))).toBe(true);
        expect(Buffer.from(bufs[2].buffer).equals(Buffer.from(bufs[0].buffer))).toBe(true);
        for (const r of [0, 1, 2]) expect([...ints[r]]).toEqual([2, 20, 0]);
        const gathered = await Promise.all(
          groups.map((g, r) => g.allGather(Float64Array.from([r, r + 0.5]))),
        );
        for (const out of gathered) expect([...out]).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
        await Promise.all(groups.map((g) => g.barrier()));
      } finally {
        await Promise.all(groups.map((g) => g.destroy()));
      }
    });
  }

  it('group - rejects invalid options with a ConfigError naming the field', async () => {
    const c = await nc();
    await expect(createCollectiveGroup({ nc: c, group: 'x', rank: 3, worldSize: 2 })).rejects.toThrow(
      ConfigError,
    );
    await expect(createCollectiveGroup({ nc: c, group: 'bad.name', rank: 0, worldSize: 1 })).rejects.toThrow(
      /group/,
    );
    await expect(
      createCollectiveGroup({ nc: c, group: 'x', rank: 0, worldSize: 1, transport: 'udp' as 'tcp' }),
    ).rejects.toThrow(/transport/);
  });

  it('group - a world of one returns inputs unchanged; bad buffers and roots are rejected', async () => {
    const [g] = await makeGroups('solo', 1);
    try {
      const buf = Float32Array.from([1, 2, 3]);
      await g.allReduce(buf, 'mean');
      expect([...buf]).toEqual([1, 2, 3]);
      expect([...(await g.reduceScatter(Int32Array.from([4, 5]), 'sum'))]).toEqual([4, 5]);
      await expect(g.allReduce([1, 2] as unknown as Float32Array)).rejects.toThrow(
        /Float32Array, Float64Array or Int32Array \(got Array\)/,
      );
      await expect(g.broadcast(buf, 1)).rejects.toThrow(CollectiveError);
      await expect(g.allReduce(buf, 'prod' as 'sum')).rejects.toThrow(/Unknown reduce op 'prod'/);
    } finally {
      await g.destroy();
    }
    await expect(g.barrier()).rejects.toThrow(/destroyed/);
  });

  it('group - rendezvous rejects ranks that disagree on the world size or compression', async () => {
    const [a, b] = await Promise.all([nc(), nc()]);
    const results = await Promise.allSettled([
      createCollectiveGroup({ nc: a, group: 'disagree', rank: 0, worldSize: 2, timeoutMs: 3000 }),
      createCollectiveGroup({
        nc: b,
        group: 'disagree',
        rank: 1,
        worldSize: 2,
        compression: 'fp16',
        timeoutMs: 3000,
      }),
    ]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(String((r as PromiseRejectedResult).reason)).toMatch(/compression 'fp16', rank 0 uses 'none'/);
    }
  });

  it('group - rendezvous times out naming the ranks that never joined', async () => {
    const started = Date.now();
    await expect(
      createCollectiveGroup({ nc: await nc(), group: 'lonely', rank: 0, worldSize: 3, timeoutMs: 300 }),
    ).rejects.toThrow(/rank\(s\) 1, 2 never joined/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
