import { connect } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { type NatsClusterHandle, startNatsCluster } from './cluster.ts';

describe('nats - local 3-server cluster', () => {
  let cluster: NatsClusterHandle | undefined;
  afterAll(async () => cluster?.stop());

  it('routes messages between servers, and keeps a 3-replica KV bucket through the loss of a server', async () => {
    cluster = await startNatsCluster({ size: 3 });
    expect(cluster.urls).toHaveLength(3);
    expect(cluster.address).toBe(cluster.urls.join(','));
    for (const url of cluster.urls) expect(url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);

    const [a, b] = await Promise.all(
      [0, 1].map((i) => connect({ servers: cluster!.urls[i], token: cluster!.token, noRandomize: true })),
    );
    const sub = b.subscribe('hello', { max: 1 });
    await b.flush();
    await new Promise((r) => setTimeout(r, 100)); // the subscription reaches the other servers
    a.publish('hello', new TextEncoder().encode('across'));
    for await (const m of sub) expect(new TextDecoder().decode(m.data)).toBe('across');
    await Promise.all([a.close(), b.close()]);

    const nc = await connect({ servers: cluster.urls, token: cluster.token, maxReconnectAttempts: -1 });
    const kv = await (await nc.jetstream()).views.kv('failover', { replicas: 3 });
    await kv.put('k', 'v1');
    const victim = cluster.servers.find((s) => s.url.endsWith(nc.getServer()))!;
    victim.kill('SIGKILL');
    await expect.poll(() => victim.exited, { timeout: 5000 }).toBe(true);
    // A new leader may need an election: retry briefly.
    await expect
      .poll(async () => (await kv.get('k').catch(() => null))?.string(), { timeout: 15_000, interval: 250 })
      .toBe('v1');
    await expect
      .poll(async () => Boolean(await kv.put('k', 'v2').catch(() => 0)), { timeout: 15_000, interval: 250 })
      .toBe(true);
    expect((await kv.get('k'))?.string()).toBe('v2');
    await nc.close();
  });
});
