import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { afterAll, describe, expect, it } from 'vitest';
import { type NatsServerHandle, startNatsServer } from './server.ts';

describe('nats - embedded server', () => {
  let server: NatsServerHandle | undefined;
  afterAll(async () => server?.stop());

  it('starts on a free loopback port, accepts the token and refuses connections without it', async () => {
    server = await startNatsServer();
    expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connect({ servers: server.url, token: server.token });
    const sub = nc.subscribe('hello', { max: 1 });
    nc.publish('hello', new TextEncoder().encode('world'));
    for await (const m of sub) expect(new TextDecoder().decode(m.data)).toBe('world');
    await nc.close();
    await expect(connect({ servers: server.url, reconnect: false })).rejects.toThrow(/Authorization/i);
    await expect(connect({ servers: server.url, token: 'wrong', reconnect: false })).rejects.toThrow(
      /Authorization/i,
    );
  });

  it('leaves no file with the token behind once the server runs (nothing for a SIGKILL to leak)', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'manta-nats-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    let own: NatsServerHandle | undefined;
    try {
      own = await startNatsServer({ jetstream: false });
      expect(readdirSync(scratch)).toEqual([]);
      const nc = await connect({ servers: own.url, token: own.token });
      await nc.close();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      await own?.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
