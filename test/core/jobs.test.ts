import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { getJob, listJobs, readJobLogs, startNatsServer, submitJob } from '@manta/core/internal';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../harness/processes.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../packages/core/bin/manta.mjs', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'manta-jobs-'));
const sessions = join(root, 'head-sessions');
// The CLI must find the cluster only through what each test passes.
const { MANTA_ADDRESS: _a, MANTA_TOKEN: _t, MANTA_SESSIONS_DIR: _s, ...baseEnv } = process.env;
const headEnv = { ...baseEnv, MANTA_SESSIONS_DIR: sessions };
const manta = (args: string[], env: NodeJS.ProcessEnv = headEnv) =>
  run(process.execPath, [bin, ...args], { env, maxBuffer: 16 << 20 });

let address = '';
let token = '';
let node: ChildProcess | undefined;
let nodeRecord: { pid: number; nodeId: string; sessionDir: string };
let nodeTmp = '';
/** This test's own connection, for checks that need not go through the CLI. */
let nc: NatsConnection;

const cluster = () => ['--address', address, '--token', token];

/** A user's project: a module with remote tasks and driver entrypoints, nowhere but here. */
function writeProject(): string {
  const dir = mkdtempSync(join(root, 'project-'));
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(
    join(dir, 'tasks.ts'),
    `import { actor, remote } from '@manta/core';
export const where = remote(import.meta.url, async (x: number) => {
  console.log('PRINTED BY TASK ' + x);
  return { url: import.meta.url,
  nodeId: process.env.MANTA_NODE_ID,
  doubled: x * 2 };
});
export const sleepy = remote(import.meta.url, async (ms: number) => {
  await new Promise((r) => setTimeout(r, ms));
  return ms;
});
export const Where = actor(import.meta.url, class {
  url() {
    return import.meta.url;
  }
});
`,
  );
  writeFileSync(
    join(dir, 'main.ts'),
    `import { get, init, shutdown } from '@manta/core';
import { Where, where } from './tasks.ts';
await init();
console.log('RESULT ' + JSON.stringify(await get(where.remote(21))));
const located = await Where.remote();
console.log('ACTOR ' + (await get(located.url.remote())));
console.error('a line on stderr');
await shutdown();
`,
  );
  writeFileSync(
    join(dir, 'long.ts'),
    `import { spawn } from 'node:child_process';
import { get, init } from '@manta/core';
import { sleepy, Where } from './tasks.ts';
await init();
const ref = sleepy.remote(20_000);
const child = spawn('sleep', ['300'], { stdio: 'ignore' });
await Where.options({ name: 'job-actor' }).remote();
await Where.options({ name: 'kept-actor', numCpus: 0, lifetime: 'detached' }).remote();
console.log('READY ' + JSON.stringify({ driver: process.pid, child: child.pid }));
await get(ref);
`,
  );
  // Never packaged: node_modules and .git.
  mkdirSync(join(dir, 'node_modules', 'junk'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'junk', 'index.js'), 'x'.repeat(1000));
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  return dir;
}

/** Reads a job's output until `pattern` shows up in it. */
async function waitForOutput(jobId: string, pattern: RegExp): Promise<RegExpExecArray> {
  const stop = new AbortController();
  let out = '';
  let found: RegExpExecArray | null = null;
  const timer = setTimeout(() => stop.abort(), 40_000);
  await readJobLogs(
    nc,
    jobId,
    (_stream, data) => {
      out += Buffer.from(data).toString();
      found ??= pattern.exec(out);
      if (found) stop.abort();
    },
    { follow: true, signal: stop.signal },
  );
  clearTimeout(timer);
  if (!found) throw new Error(`job ${jobId} never printed ${pattern}; its output:\n${out}`);
  return found;
}

beforeAll(async () => {
  // A head whose own node offers no CPU, so every task runs on the other node.
  const head = await manta(['start', '--head', '--num-cpus', '0']);
  address = /nats:\/\/[\d.:]+/.exec(head.stdout)![0];
  token = /Token: (\S+)/.exec(head.stdout)![1];
  // A node agent as if on another machine: its own cwd, HOME and TMPDIR, no access to the project.
  const home = join(root, 'node-home');
  nodeTmp = join(home, 'tmp');
  mkdirSync(nodeTmp, { recursive: true });
  mkdirSync(join(home, 'cwd'));
  node = spawn(process.execPath, [bin, 'start', '--block', '--address', address, '--num-cpus', '2'], {
    cwd: join(home, 'cwd'),
    env: { ...baseEnv, HOME: home, TMPDIR: nodeTmp, MANTA_START_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  node.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  nodeRecord = await waitFor(() => out.includes('\n') && JSON.parse(out.split('\n')[0]), 30_000, 'the node');
  nc = await connect({ servers: address, token });
}, 60_000);

afterAll(async () => {
  await nc?.close();
  node?.kill('SIGTERM');
  await manta(['stop']).catch(() => undefined);
  if (node?.pid) await waitFor(() => !isAlive(node!.pid!), 15_000, 'the node to stop').catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe('jobs - manta job submit/status/logs/stop on a cluster without a shared filesystem', () => {
  it("runs the working dir's code on a node that has its own unpacked copy, even once the original is gone", async () => {
    const project = writeProject();
    const submitted = await manta([
      'job',
      'submit',
      ...cluster(),
      '--working-dir',
      project,
      '--no-wait',
      '--',
      'npx',
      'tsx',
      'main.ts',
    ]);
    const jobId = submitted.stdout.trim();
    expect(jobId).toMatch(/^job_\w+$/);
    rmSync(project, { recursive: true, force: true });

    const logs = await manta(['job', 'logs', jobId, '--follow', ...cluster()]);
    const result = JSON.parse(/RESULT (.*)/.exec(logs.stdout)![1]);
    expect(result.doubled).toBe(42);
    expect(result.nodeId).toBe(nodeRecord.nodeId);
    // Loaded from the node's own package cache, under its temp home.
    expect(result.url.startsWith(pathToFileURL(realpathSync(nodeTmp)).href)).toBe(true);
    expect(result.url).toMatch(/\/packages\/[0-9a-f]{64}\/tasks\.ts$/);
    expect(/ACTOR (.*)/.exec(logs.stdout)![1]).toBe(result.url);
    expect(logs.stderr).toContain('a line on stderr');
    // The task ran on the other node; what it printed is in the job's log, tagged with its
    // worker, and before the result (the worker sends its output first).
    const printed = /\(worker pid=\d+, node=\w+\) PRINTED BY TASK 21\n/.exec(logs.stdout);
    expect(printed).not.toBeNull();
    expect(printed!.index).toBeLessThan(logs.stdout.indexOf('RESULT '));

    const record = JSON.parse(
      (await manta(['job', 'status', jobId, '--format', 'json', ...cluster()])).stdout,
    );
    expect(record).toMatchObject({
      jobId,
      status: 'SUCCEEDED',
      exitCode: 0,
      entrypoint: ['npx', 'tsx', 'main.ts'],
    });
    expect(record.package.files).toBe(4); // package.json, tasks.ts, main.ts, long.ts: no node_modules, no .git
  }, 60_000);

  it('submit streams the output and exits with the exit code of the job', async () => {
    const failed = await manta([
      'job',
      'submit',
      ...cluster(),
      '--',
      'node',
      '-e',
      "console.log('bye from ' + process.env.MANTA_JOB_ID); process.exit(3)",
    ]).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect((failed as { code: number }).code).toBe(3);
    const jobId = /submitted job (\S+)/.exec((failed as { stderr: string }).stderr)![1];
    expect((failed as { stdout: string }).stdout).toContain(`bye from ${jobId}`);
    expect((failed as { stderr: string }).stderr).toMatch(/FAILED \(exit code 3\)/);
    expect((await getJob(nc, jobId)).status).toBe('FAILED');
  });

  it('lists the running job and its task; `job stop` kills its process tree, its tasks and its actors (not detached ones)', async () => {
    const project = writeProject();
    const args = ['job', 'submit', ...cluster(), '--working-dir', project, '--no-wait', '--'];
    // tsx is on the job's PATH: node_modules/.bin of the head's Manta installation.
    const jobId = (await manta([...args, 'tsx', 'long.ts'])).stdout.trim();
    const ready = await waitForOutput(jobId, /READY (.*)/);
    const { driver, child } = JSON.parse(ready[1]) as { driver: number; child: number };
    expect(isAlive(driver) && isAlive(child)).toBe(true);

    // The task is submitted before READY; it runs once the node has started a worker for it.
    // An arrow function is listed by where it is defined: the second definition of tasks.ts.
    const running = new RegExp(`tasks\\.ts#1\\s+RUNNING\\s+${nodeRecord.nodeId}`);
    await waitFor(
      async () => running.test((await manta(['list', 'tasks', ...cluster()])).stdout),
      30_000,
      'the task to run on the other node',
    );
    expect((await manta(['list', 'jobs', ...cluster()])).stdout).toMatch(new RegExp(`${jobId}\\s+RUNNING`));

    const stopped = await manta(['job', 'stop', jobId, ...cluster()]);
    expect(stopped.stdout).toContain(`job ${jobId} STOPPED`);
    await waitFor(() => !isAlive(driver) && !isAlive(child), 10_000, 'the job processes to exit');
    expect((await getJob(nc, jobId)).status).toBe('STOPPED');
    // What the job started on the cluster ends with it: the running task is killed (not
    // retried) and its actor dies, which frees the node's CPUs; the detached actor lives on.
    await waitFor(
      async () => !running.test((await manta(['list', 'tasks', ...cluster()])).stdout),
      15_000,
      'the job task to stop',
    );
    const actorStates = async () =>
      Object.fromEntries(
        (
          JSON.parse((await manta(['list', 'actors', '--format', 'json', ...cluster()])).stdout) as {
            name?: string;
            state: string;
          }[]
        ).map((a) => [a.name, a.state]),
      );
    await waitFor(async () => (await actorStates())['job-actor'] === 'DEAD', 15_000, 'the job actor to die');
    expect((await actorStates())['kept-actor']).toBe('ALIVE');
    await waitFor(
      async () => /CPU 0\/2/.test((await manta(['list', 'nodes', ...cluster()])).stdout),
      15_000,
      "the job's CPUs to be free again",
    );
    rmSync(project, { recursive: true, force: true });
  }, 60_000);

  it('refuses a submit without the token or with a wrong one', async () => {
    const before = (await listJobs(nc)).length;
    const submit = ['job', 'submit', '--address', address, '--', 'node', '-e', '1'];
    await expect(manta(submit)).rejects.toMatchObject({ stderr: /Authorization/i });
    await expect(manta([...submit, '--token', `${token}x`])).rejects.toMatchObject({
      stderr: /Authorization/i,
    });
    expect((await listJobs(nc)).length).toBe(before);
  });

  it('says so when the cluster has no job supervisor', async () => {
    const server = await startNatsServer();
    const bare = await connect({ servers: server.url, token: server.token });
    try {
      await expect(submitJob(bare, { entrypoint: ['node', '-e', '1'] })).rejects.toThrow(
        /no job supervisor answered/,
      );
    } finally {
      await bare.close();
      await server.stop();
    }
  });

  it('validates options and names what is wrong (packaging limits: see job/archive.test.ts)', async () => {
    await expect(manta(['job', 'submit', ...cluster(), '--env', 'oops', '--', 'node'])).rejects.toMatchObject(
      {
        stderr: /env.0: must be KEY=VALUE/,
      },
    );
    await expect(manta(['job', 'status', '../etc', ...cluster()])).rejects.toMatchObject({
      stderr: /jobId: must be a job id/,
    });
  });
});
