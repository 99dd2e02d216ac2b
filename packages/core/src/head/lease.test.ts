import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decode, encode } from '../codec/index.ts';
import { createLogger } from '../logging/index.ts';
import { type NatsServerHandle, startNatsServer } from '../nats/index.ts';
import { Subjects } from '../protocol/index.ts';
import { HeadLease } from './lease.ts';
import { startHead } from './start.ts';

let server: NatsServerHandle;
const connections: NatsConnection[] = [];
const log = createLogger('test', 'lease');

async function connectTo(): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url, token: server.token });
  connections.push(nc);
  return nc;
}

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  for (const nc of connections) await nc.close().catch(() => undefined);
  await server?.stop();
});

describe('head lease - one head per NATS server', () => {
  it('of heads claiming at the same moment, exactly one holds the lease', async () => {
    for (let round = 0; round < 4; round++) {
      const bucket = `lease_race_${round}`;
      const claimers = await Promise.all([0, 1, 2].map(() => connectTo()));
      const results = await Promise.allSettled(
        claimers.map((nc, i) => HeadLease.acquire(nc, `r${round}h${i}`, log, { bucket })),
      );
      const held = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(held).toHaveLength(1);
      expect(refused).toHaveLength(2);
      for (const r of refused)
        expect(String(r.reason)).toMatch(/a head is already running on this NATS server/);
      await held[0].release();
    }
  });

  it('is taken at once when released or when its holder is gone, never from a live holder', async () => {
    const bucket = 'lease_handover';
    const first = await HeadLease.acquire(await connectTo(), 'first', log, { bucket });
    await expect(HeadLease.acquire(await connectTo(), 'second', log, { bucket })).rejects.toThrow(
      /already running/,
    );
    await first.release();
    const secondNc = await connectTo();
    const second = await HeadLease.acquire(secondNc, 'second', log, { bucket });
    expect(second.headId).toBe('second');
    // A holder whose connection is gone (a SIGKILLed head) does not answer: NATS says so at once.
    await secondNc.close();
    const started = performance.now();
    const third = await HeadLease.acquire(await connectTo(), 'third', log, { bucket });
    expect(third.headId).toBe('third');
    expect(performance.now() - started).toBeLessThan(2000); // no wait for a probe timeout
    await third.release();
  });

  it('a stalled holder loses the lease to a new head, and stops once it runs again', async () => {
    const bucket = 'lease_stall';
    const fixture = fileURLToPath(new URL('./lease_holder.fixture.ts', import.meta.url));
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fixture, server.url, server.token, bucket, 'stalled'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitUntil(() => out.includes('HELD'), 30_000);
      await expect(HeadLease.acquire(await connectTo(), 'rival', log, { bucket })).rejects.toThrow(
        /already running/,
      );
      child.kill('SIGSTOP');
      const rival = await HeadLease.acquire(await connectTo(), 'rival', log, { bucket, holderProbeMs: 500 });
      expect(rival.headId).toBe('rival');
      child.kill('SIGCONT');
      expect(await exited).toBe(0);
      expect(out).toContain('LOST rival');
      await rival.release();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('startHead: of two heads started at the same moment, one serves and the other refuses', async () => {
    const [a, b] = await Promise.all([connectTo(), connectTo()]);
    const results = await Promise.allSettled([startHead(a, log), startHead(b, log)]);
    const heads = results.filter((r) => r.status === 'fulfilled').map((r) => r.value);
    expect(heads).toHaveLength(1);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(String(refused?.reason)).toMatch(/a head is already running on this NATS server/);
    const status = decode((await (await connectTo()).request(Subjects.status, encode({}))).data) as {
      ok: boolean;
    };
    expect(status.ok).toBe(true);
    await heads[0].stop();
    // A head stopped cleanly gives the lease up: the next one starts at once.
    const next = await startHead(await connectTo(), log);
    await next.stop();
  });
});

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
