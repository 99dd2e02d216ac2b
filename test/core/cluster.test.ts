import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { clusterStatus, get, init, NatsServerNotFoundError, shutdown } from '@manta/core';
import { currentRuntime, embeddedCluster, encode, Subjects } from '@manta/core/internal';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { Counter, square } from '../fixtures/core-fixtures.ts';
import { descendants, isAlive, waitFor } from '../harness/processes.ts';

const run = promisify(execFile);

describe('cluster - embedded cluster lifecycle and security', () => {
  it('requires the token: a connection without it (or with a wrong one) is refused', async () => {
    const { address, token } = await init({ numCpus: 1, logToDriver: false });
    try {
      await expect(connect({ servers: address, reconnect: false })).rejects.toThrow(/Authorization/i);
      await expect(connect({ servers: address, token: `${token}x`, reconnect: false })).rejects.toThrow(
        /Authorization/i,
      );
      const nc = await connect({ servers: address, token, reconnect: false });
      await nc.close();
    } finally {
      await shutdown();
    }
  });

  it('drops garbage published on every Manta subject and keeps serving tasks and actors', async () => {
    const { address, token } = await init({ numCpus: 2, logToDriver: false });
    try {
      const counter = await Counter.remote();
      expect(await get(counter.inc.remote(1))).toBe(1);
      const status = await clusterStatus();
      const nodeId = status.nodes[0].nodeId;
      const nc = await connect({ servers: address, token });
      const subjects = [
        Subjects.nodeRegister,
        Subjects.nodeHeartbeat,
        Subjects.submitTask,
        Subjects.taskDone,
        Subjects.workerReady,
        Subjects.workerExited,
        Subjects.actorCreate,
        Subjects.actorReady,
        Subjects.actorState,
        Subjects.actorLookup,
        Subjects.actorKill,
        Subjects.jobEnded,
        Subjects.driverAlive,
        Subjects.status,
        Subjects.nodeSpawn(nodeId),
        Subjects.nodeKillWorker(nodeId),
        Subjects.workerExec('x1'),
        Subjects.workerTask('x1'),
        Subjects.actorCall(counter.actorId),
        Subjects.ownerResult('x1'),
        Subjects.ownerFetch('x1'),
        `${Subjects.actorEvents}.${counter.actorId}`,
        Subjects.ownerResult(currentRuntime()!.ownerId),
        Subjects.ownerFetch(currentRuntime()!.ownerId),
      ];
      const garbage = [
        randomBytes(64),
        new Uint8Array([0xc1]), // never-used msgpack byte
        new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]), // array claiming 4 billion items
        new Uint8Array([0, 0xdd, 0xff, 0xff, 0xff, 0xff]), // framed, malformed
        new Uint8Array([1, ...randomBytes(30)]), // chunk frame with a bad header
        encode({ taskId: '../../etc', owner: 5 }), // valid msgpack, wrong shape
        encode({ kind: 'task', spec: { taskId: 'a', owner: 'b' } }),
        encode({ actorId: counter.actorId, state: 'DEAD', incarnation: -1 }),
        new Uint8Array(0),
      ];
      for (const subject of subjects) {
        for (const payload of garbage) nc.publish(subject, payload);
        for (const payload of garbage) nc.publish(subject, new Uint8Array([0, ...payload]));
      }
      await nc.flush();
      await nc.close();
      expect(await get([1, 2, 3].map((i) => square.remote(i)))).toEqual([1, 4, 9]);
      expect(await get(counter.inc.remote(1))).toBe(2);
      expect((await clusterStatus()).nodes[0].alive).toBe(true);
    } finally {
      await shutdown();
    }
  });

  it('a driver that blocks its event loop past the node timeout does not lose its embedded node', async () => {
    await init({ numCpus: 2, logToDriver: false });
    try {
      const counter = await Counter.remote();
      expect(await get(counter.inc.remote(1))).toBe(1);
      // A long synchronous computation in the driver (e.g. a plain tfjs loop on wasm) stalls the
      // embedded head and node alike, longer than the head's 10 s node timeout.
      const until = Date.now() + 11_500;
      while (Date.now() < until);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      // The node was never declared dead: its actor process (and its state) lived through it.
      expect((await clusterStatus()).nodes.map((n) => n.alive)).toEqual([true]);
      expect(await get(counter.inc.remote(1))).toBe(2);
    } finally {
      await shutdown();
    }
  }, 40_000);

  it('shutdown() stops every process it started and removes its temp folders', async () => {
    await init({ numCpus: 2, logToDriver: false });
    const cluster = embeddedCluster()!;
    const counter = await Counter.remote();
    await get([square.remote(2), counter.inc.remote(1)]);
    const children = descendants();
    expect(children.length).toBeGreaterThanOrEqual(3); // nats-server (+ watchdog), a task worker, the actor
    expect(existsSync(cluster.sessionDir)).toBe(true);
    await shutdown();
    await waitFor(() => children.every((p) => !isAlive(p)), 10_000, 'every child process to exit');
    expect(existsSync(cluster.sessionDir)).toBe(false);
  });

  it('a driver stopped by SIGTERM, or SIGKILLed, leaves no process behind', async () => {
    const script = fileURLToPath(new URL('../fixtures/driver-main.ts', import.meta.url));
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      const report = await waitFor(
        () => output.includes('"ready"') && JSON.parse(output.split('\n')[0]),
        60_000,
        'the driver',
      );
      const pids: number[] = [...report.pids, report.natsPid];
      expect(pids.every(isAlive)).toBe(true);
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
      await waitFor(() => pids.every((p) => !isAlive(p)), 15_000, `processes to exit after ${signal}`);
      if (signal === 'SIGTERM') expect(existsSync(report.sessionDir)).toBe(false);
    }
  }, 120_000);

  it('init({ address, token }) joins a running cluster from another process; without the token it is refused', async () => {
    const { address, token } = await init({ numCpus: 2, logToDriver: false });
    try {
      const script = fileURLToPath(new URL('../fixtures/driver-join.ts', import.meta.url));
      const { stdout } = await run(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, JOIN_ADDRESS: address, JOIN_TOKEN: token },
      });
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ squares: [4, 9], count: 2 });
      const refused = await run(process.execPath, ['--import', 'tsx', script], {
        env: { ...process.env, JOIN_ADDRESS: address, JOIN_TOKEN: 'wrong-token' },
      }).catch((e: { stderr: string }) => e);
      expect((refused as { stderr: string }).stderr).toMatch(
        /cannot connect to the Manta cluster.*Authorization/s,
      );
    } finally {
      await shutdown();
    }
  });

  it('`manta status` prints nodes, used/total resources and live actors', async () => {
    // A private sessions folder: `manta status` with no address reads the latest cluster started
    // there, which must be this test's and not another cluster running on the machine.
    const savedSessions = process.env.MANTA_SESSIONS_DIR;
    process.env.MANTA_SESSIONS_DIR = mkdtempSync(join(tmpdir(), 'manta-status-'));
    await init({ numCpus: 2, logToDriver: false });
    try {
      const counter = await Counter.options({ name: 'status-demo' }).remote();
      await get(counter.inc.remote(1));
      const bin = fileURLToPath(new URL('../../packages/core/bin/manta.mjs', import.meta.url));
      const { stdout } = await run(process.execPath, [bin, 'status']);
      expect(stdout).toMatch(/Nodes \(1 alive\)/);
      expect(stdout).toMatch(/CPU 1\/2/);
      expect(stdout).toContain('status-demo');
      expect(stdout).toContain('ALIVE');
      const json = JSON.parse((await run(process.execPath, [bin, 'status', '--format', 'json'])).stdout);
      expect(json.actors.some((a: { name?: string }) => a.name === 'status-demo')).toBe(true);
      const actors = JSON.parse(
        (await run(process.execPath, [bin, 'list', 'actors', '--format', 'json'])).stdout,
      );
      expect(actors.find((a: { name?: string }) => a.name === 'status-demo').state).toBe('ALIVE');
      expect((await run(process.execPath, [bin, 'list', 'nodes'])).stdout).toMatch(/CPU 1\/2/);
      await expect(run(process.execPath, [bin, 'list', 'bananas'])).rejects.toMatchObject({
        stderr: /choose one of nodes, actors/,
      });
    } finally {
      await shutdown();
      rmSync(process.env.MANTA_SESSIONS_DIR, { recursive: true, force: true });
      if (savedSessions === undefined) delete process.env.MANTA_SESSIONS_DIR;
      else process.env.MANTA_SESSIONS_DIR = savedSessions;
    }
  });

  it('says how to install nats-server when the binary is missing', async () => {
    const saved = process.env.MANTA_NATS_SERVER;
    process.env.MANTA_NATS_SERVER = '/nonexistent/nats-server';
    try {
      const error = await init().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NatsServerNotFoundError);
      expect((error as Error).message).toContain('apt-get install -y nats-server');
    } finally {
      if (saved === undefined) delete process.env.MANTA_NATS_SERVER;
      else process.env.MANTA_NATS_SERVER = saved;
    }
  });
});
