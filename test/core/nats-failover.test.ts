import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { clusterStatus, get, init, put, shutdown } from '@manta/core';
import { currentRuntime, type NatsClusterHandle, startNatsCluster } from '@manta/core/internal';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Counter, square, sumArray } from '../fixtures/core-fixtures.ts';
import { isAlive, waitFor } from '../harness/processes.ts';

const daemonMain = fileURLToPath(new URL('../fixtures/nats-failover-daemon.ts', import.meta.url));
const tsx = import.meta.resolve('tsx');

let cluster: NatsClusterHandle;
const daemons: ChildProcess[] = [];

/** The cluster's URLs starting with server `first`: a process given this list connects to it. */
const startingAt = (first: number) =>
  cluster.urls.map((_, i) => cluster.urls[(first + i) % cluster.urls.length]).join(',');

/** Starts a head or node agent process on server `first`; resolves once it is up. */
async function startDaemon(role: 'head' | 'node', first: number): Promise<{ pid: number; server: string }> {
  const child = spawn(process.execPath, ['--import', tsx, daemonMain], {
    env: {
      ...process.env,
      FAILOVER_ROLE: role,
      FAILOVER_ADDRESS: startingAt(first),
      FAILOVER_TOKEN: cluster.token,
      FAILOVER_CPUS: '2',
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  daemons.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  return JSON.parse(line) as { pid: number; server: string };
}

beforeAll(async () => {
  cluster = await startNatsCluster({ size: 3 });
}, 30_000);

afterAll(async () => {
  await shutdown();
  for (const child of daemons) child.stdin?.end();
  await waitFor(() => daemons.every((d) => !d.pid || !isAlive(d.pid)), 10_000, 'the daemons to stop').catch(
    () => {
      for (const child of daemons) child.kill('SIGKILL');
    },
  );
  await cluster?.stop();
});

describe('nats failover - a 3-server NATS cluster loses a server', () => {
  it('refuses clients without the token on every server', async () => {
    for (const url of cluster.urls) {
      await expect(connect({ servers: url, reconnect: false })).rejects.toThrow(/Authorization/i);
      await expect(connect({ servers: url, token: 'wrong', reconnect: false })).rejects.toThrow(
        /Authorization/i,
      );
      const nc = await connect({ servers: url, token: cluster.token, reconnect: false });
      await nc.close();
    }
  });

  it('finishes a stream of tasks, object fetches and actor calls when the server of the driver and the head is SIGKILLed', async () => {
    await init({ address: cluster.urls, token: cluster.token });
    // The hard case: the driver, the head and a node agent all lose their server at once.
    const driverServer = currentRuntime()!.nc.getServer();
    const victim = cluster.servers.findIndex((s) => s.url.endsWith(driverServer));
    expect(victim).toBeGreaterThanOrEqual(0);
    const [head, node1, node2] = await Promise.all([
      startDaemon('head', victim),
      startDaemon('node', victim),
      startDaemon('node', victim + 1),
    ]);
    expect(head.server).toBe(driverServer);
    expect(node1.server).toBe(driverServer);
    expect(node2.server).not.toBe(driverServer);
    await waitFor(
      async () => (await clusterStatus()).nodes.filter((n) => n.alive).length === 2,
      20_000,
      'both nodes to register',
    );
    const counter = await Counter.options({ numCpus: 0 }).remote(0);
    expect(await get(square.remote(3))).toBe(9);
    expect(await get(counter.inc.remote(0))).toBe(0);

    const tasks: ReturnType<typeof square.remote>[] = [];
    const calls: ReturnType<typeof counter.inc.remote>[] = [];
    // Workers fetch this from the driver, in chunks (it is above max_payload).
    const ones = put(new Float32Array(400_000).fill(1));
    const sums: ReturnType<typeof sumArray.remote>[] = [];
    for (let i = 0; i < 300; i++) {
      tasks.push(square.remote(i));
      if (i % 3 === 0) calls.push(counter.inc.remote(1));
      if (i % 30 === 0) sums.push(sumArray.remote(ones as unknown as Float32Array));
      if (i === 100) cluster.servers[victim].kill('SIGKILL');
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 15));
    }
    await waitFor(() => cluster.servers[victim].exited, 5000, 'the server to die');
    expect(await get(tasks, { timeout: 30_000 })).toEqual(tasks.map((_, i) => i * i));
    expect(await get(sums, { timeout: 10_000 })).toEqual(sums.map(() => 400_000));
    // Every call ran once, in order.
    expect(await get(calls, { timeout: 10_000 })).toEqual(calls.map((_, i) => i + 1));
    const status = await clusterStatus();
    expect(status.nodes.filter((n) => n.alive).length).toBe(2);
    expect(await get(square.remote(12))).toBe(144);
  }, 60_000);
});

describe('nats failover - manta start --nats-cluster', () => {
  const bin = fileURLToPath(new URL('../../packages/core/bin/manta.mjs', import.meta.url));
  const sessions = mkdtempSync(join(tmpdir(), 'manta-nats-cluster-'));
  const env = { ...process.env, MANTA_SESSIONS_DIR: sessions };
  const manta = (...args: string[]) => promisify(execFile)(process.execPath, [bin, ...args], { env });
  afterAll(async () => {
    await manta('stop').catch(() => undefined);
    rmSync(sessions, { recursive: true, force: true });
  });

  it('starts a head on a local 3-server NATS cluster that nodes and clients join through any server', async () => {
    const head = await manta('start', '--head', '--nats-cluster', '--num-cpus', '1');
    const address = /Started the Manta head at (\S+) /.exec(head.stdout)![1];
    const token = /Token: (\S+)/.exec(head.stdout)![1];
    const urls = address.split(',');
    expect(urls).toHaveLength(3);
    for (const url of urls) expect(url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
    await manta('start', '--address', urls[2], '--token', token, '--num-cpus', '1');
    const { stdout } = await manta('status', '--address', address, '--token', token, '--format', 'json');
    const status = JSON.parse(stdout) as { nodes: { alive: boolean }[] };
    expect(status.nodes.filter((n) => n.alive)).toHaveLength(2);
    await expect(manta('start', '--address', 'http://x:1', '--token', token)).rejects.toThrow(
      /not a nats:\/\/ URL/,
    );
    expect((await manta('stop')).stdout).toMatch(/stopped head/);
  }, 60_000);
});
