import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConfigError, clusterStatus, get, init, kill, shutdown } from '@manta/core';
import { connect, type NatsConnection } from 'nats';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DashboardHandle,
  startClusterDashboard,
  startDashboard,
} from '../../packages/core/src/dashboard/index.ts';
import type { TaskList } from '../../packages/core/src/head/index.ts';
import { JobStore } from '../../packages/core/src/job/types.ts';
import { Counter, sleepStamp } from '../fixtures/core-fixtures.ts';
import { isAlive, waitFor } from '../harness/processes.ts';

// Code run in the page by playwright (this project's tsconfig has no DOM lib).
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const window: Record<string, unknown>;

/** Debian's package `chromium` installs /usr/bin/chromium; CHROMIUM_PATH overrides. */
const chromiumPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => p !== undefined && existsSync(p),
);
if (!chromiumPath) {
  console.warn(
    'dashboard.test: skipping the browser tests: no Chromium found (apt-get install -y chromium, or set CHROMIUM_PATH)',
  );
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** An HTTP request with exactly the headers given (fetch will not let a test forge Host). */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = { ...options.headers };
    // Framed explicitly: Node sends a DELETE body unframed otherwise.
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = httpRequest(url, { method: options.method ?? 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** JSON round trip: what the wire and the browser see (undefined fields dropped). */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

/** An address of this machine other machines can reach (the dashboard then needs the token). */
function externalHost(): string {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && !i.internal && i.family === 'IPv4');
  return external?.address ?? '0.0.0.0';
}

async function textOf(page: Page, selector: string, includes: string[], timeout = 20_000): Promise<string> {
  await page.waitForFunction(
    ([sel, parts]) => {
      const text = document.querySelector(sel)?.textContent ?? '';
      return parts.every((p) => text.includes(p));
    },
    [selector, includes] as const,
    { timeout },
  );
  return (await page.textContent(selector)) ?? '';
}

describe('dashboard - embedded cluster, loopback', () => {
  let url = '';
  let nc: NatsConnection;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const connection = await init({ numCpus: 2, logToDriver: false, dashboardPort: 0 });
    url = connection.dashboardUrl!;
    nc = await connect({ servers: connection.address, token: connection.token });
    if (chromiumPath)
      browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await nc?.close();
    await shutdown();
  });

  it('serves on a free loopback port and answers /api/status like the head', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const counter = await Counter.options({ name: 'api-demo' }).remote();
    await get(counter.inc.remote(1));
    // The two reads may straddle a change (a worker going idle): compare once the cluster is quiet.
    await waitFor(
      async () => {
        const [api, head] = await Promise.all([fetch(`${url}/api/status`), clusterStatus()]);
        expect(api.status).toBe(200);
        expect(api.headers.get('content-type')).toMatch(/^application\/json/);
        const body = (await api.json()) as unknown;
        return JSON.stringify(body) === JSON.stringify(plain(head)) ? body : undefined;
      },
      20_000,
      '/api/status to equal clusterStatus()',
    );
    const body = (await (await fetch(`${url}/api/status`)).json()) as {
      actors: { name?: string; state: string }[];
    };
    expect(body.actors.find((a) => a.name === 'api-demo')?.state).toBe('ALIVE');
    expect(await (await fetch(`${url}/api/info`)).json()).toEqual({ auth: 'none', refreshMs: 1000 });
    expect((await fetch(`${url}/api/jobs`)).status).toBe(200);
    await kill(counter);
  });

  it('is read-only, sends a strict CSP, and refuses a foreign Host (DNS rebinding) or cross-site API calls', async () => {
    const page = await raw(`${url}/`);
    expect(page.status).toBe(200);
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.body).not.toMatch(/https?:\/\/(?!127)/); // self-contained: nothing from a CDN
    const port = new URL(url).port;
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `attacker.localhost.evil:${port}`,
      'localhost@evil.example',
    ]) {
      const refused = await raw(`${url}/api/status`, { headers: { host } });
      expect(refused.status, `Host: ${host}`).toBe(403);
      expect(refused.body).not.toContain('nodes');
    }
    expect((await raw(`${url}/`, { headers: { host: `evil.example:${port}` } })).status).toBe(403);
    expect((await raw(`${url}/api/status`, { headers: { host: `localhost:${port}` } })).status).toBe(200);
    const crossSite = await raw(`${url}/api/status`, {
      headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers['access-control-allow-origin']).toBeUndefined();
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      for (const path of ['/api/status', '/api/jobs', '/api/actors', '/']) {
        expect((await raw(`${url}${path}`, { method, body: '{}' })).status, `${method} ${path}`).toBe(405);
      }
    }
    expect((await raw(`${url}/api/nothing`)).status).toBe(404);
    // The cluster did not change: still one node, nothing pending.
    const status = await clusterStatus();
    expect(status.nodes.length).toBe(1);
    expect(status.pendingDemands).toEqual([]);
  });

  it.skipIf(!chromiumPath)(
    'shows the nodes with their resources, and a new actor without a reload (live refresh)',
    async () => {
      const page = await browser!.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      try {
        await page.goto(url);
        const { nodeId } = (await clusterStatus()).nodes[0];
        const nodeRow = `#nodes tr[data-node-id="${nodeId}"]`;
        const nodeText = await textOf(page, nodeRow, ['ALIVE', 'CPU', '/ 2', 'memory']);
        expect(nodeText).toContain(nodeId);
        await page.evaluate(() => {
          window.notReloaded = true;
        });
        // A name a careless page would render as HTML.
        const name = '<img id="xss" src="x" onerror="window.pwned=1">';
        const counter = await Counter.options({ name }).remote();
        await get(counter.inc.remote(1));
        const row = `#actors tr[data-actor-id="${counter.actorId}"]`;
        const actorText = await textOf(page, row, ['ALIVE', 'Counter', name, nodeId]);
        expect(actorText).toContain('0'); // restarts
        expect(await page.$('#xss')).toBeNull();
        expect(await page.evaluate(() => window.pwned)).toBeUndefined();
        // Its CPU shows as used on the node; the summary counts it.
        await textOf(page, nodeRow, ['1 / 2']);
        await textOf(page, '#summary', ['Actors alive']);
        expect(await page.evaluate(() => window.notReloaded)).toBe(true);
        await kill(counter);
        await textOf(page, row, ['DEAD']);
        expect(await page.textContent('#connection')).toBe('live');
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    },
  );
  it('lists running tasks (as `manta list tasks`) and job records, in the API and on the page', async () => {
    expect(await (await fetch(`${url}/api/jobs`)).json()).toEqual({ available: true, jobs: [] });
    const refs = [0, 1].map(() => sleepStamp.remote(4000));
    const running = await waitFor(
      async () => {
        const list = (await (await fetch(`${url}/api/tasks`)).json()) as TaskList & { available: boolean };
        return list.running === 2 && list.tasks.every((t) => t.state === 'RUNNING') ? list : undefined;
      },
      20_000,
      'two running tasks in /api/tasks',
    );
    expect(running.available).toBe(true);
    expect(running.tasks.length).toBe(2);
    // A job record as the job supervisor writes it (KV bucket manta_jobs, JSON).
    const jobs = await nc.jetstream().views.kv(JobStore.records);
    const job = {
      jobId: 'dash-job-1',
      entrypoint: ['npx', 'tsx', 'train.ts'],
      status: 'SUCCEEDED',
      submittedAt: new Date().toISOString(),
      exitCode: 0,
      message: '<script>window.pwned = 1</script>',
    };
    await jobs.put(job.jobId, new TextEncoder().encode(JSON.stringify(job)));
    await waitFor(
      async () => {
        const body = (await (await fetch(`${url}/api/jobs`)).json()) as { jobs: { jobId: string }[] };
        return body.jobs.some((j) => j.jobId === job.jobId);
      },
      10_000,
      'the job in /api/jobs',
    );
    if (browser) {
      const page = await browser.newPage();
      try {
        await page.goto(url);
        for (const task of running.tasks) {
          await textOf(page, `#tasks tr[data-id="${task.taskId}"]`, [task.name, 'RUNNING', task.nodeId!]);
        }
        await textOf(page, `#jobs tr[data-id="${job.jobId}"]`, [
          'SUCCEEDED',
          'npx tsx train.ts',
          job.message,
        ]);
        expect(await page.evaluate(() => window.pwned)).toBeUndefined();
      } finally {
        await page.close();
      }
    }
    await get(refs);
    await jobs.destroy();
  });
});

describe('dashboard - reachable from other machines: the cluster token on every request', () => {
  let nc: NatsConnection;
  let token = '';
  let dashboard: DashboardHandle;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const connection = await init({ numCpus: 1, logToDriver: false });
    token = connection.token;
    nc = await connect({ servers: connection.address, token });
    dashboard = await startClusterDashboard(nc, { host: externalHost(), port: 0, token });
    if (chromiumPath)
      browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await nc?.close();
    await shutdown();
  });

  it('refuses to start on a non-loopback host without the token', async () => {
    const source = { status: () => clusterStatus() };
    for (const host of ['0.0.0.0', '::', externalHost(), 'example.com']) {
      const error = await startDashboard(source, { host, port: 0 }).catch((e: unknown) => e);
      expect(error, host).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/token.*non-loopback host needs the cluster token/);
    }
    await expect(startDashboard(source, { host: '127.0.0.1', port: 70_000 })).rejects.toThrow(/port/);
  });

  it('answers 401 without the token, with a wrong one, and 200 with Bearer or a login cookie', async () => {
    expect(dashboard.requiresToken).toBe(true);
    const url = dashboard.url;
    const api = `${url}/api/status`;
    const wrong: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${token}x` },
      { authorization: 'Basic abc' },
    ];
    for (const headers of wrong) {
      const denied = await raw(api, { headers });
      expect(denied.status).toBe(401);
      expect(denied.body).not.toContain('nodes');
    }
    expect((await raw(`${url}/app.js`)).status).toBe(303);
    const home = await raw(`${url}/`);
    expect(home.status).toBe(303);
    expect(home.headers.location).toBe('/login');
    const bearer = await raw(api, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(200);
    expect(JSON.parse(bearer.body).nodes.length).toBe(1);

    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const wrongLogin = await raw(`${url}/login`, { method: 'POST', headers: form, body: 'token=nope' });
    expect(wrongLogin.status).toBe(401);
    expect(wrongLogin.headers['set-cookie']).toBeUndefined();
    const crossSite = await raw(`${url}/login`, {
      method: 'POST',
      headers: { ...form, origin: 'http://evil.example' },
      body: `token=${encodeURIComponent(token)}`,
    });
    expect(crossSite.status).toBe(403);
    const login = await raw(`${url}/login`, {
      method: 'POST',
      headers: form,
      body: `token=${encodeURIComponent(token)}`,
    });
    expect(login.status).toBe(303);
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0];
    expect((await raw(api, { headers: { cookie: session } })).status).toBe(200);
    expect((await raw(api, { headers: { cookie: `${session}x` } })).status).toBe(401);
    // Logging out ends the session.
    expect((await raw(`${url}/logout`, { method: 'POST', headers: { cookie: session } })).status).toBe(303);
    expect((await raw(api, { headers: { cookie: session } })).status).toBe(401);
    // The Host check still applies with the token.
    const foreign = await raw(api, {
      headers: { host: 'evil.example', authorization: `Bearer ${token}` },
    });
    expect(foreign.status).toBe(403);
  });

  it('a running dashboard answers where it is over NATS (for `manta status`)', async () => {
    const { findDashboard } = await import('../../packages/core/src/dashboard/index.ts');
    expect(await findDashboard(nc)).toEqual({ url: dashboard.url, auth: 'token' });
  });

  it.skipIf(!chromiumPath)('logs in with the token in the browser and then shows the cluster', async () => {
    const page = await browser!.newPage();
    try {
      await page.goto(dashboard.url);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.fill('input[name=token]', 'not-the-token');
      await page.click('button[type=submit]');
      await textOf(page, 'body', ['Wrong token']);
      await page.fill('input[name=token]', token);
      await Promise.all([page.waitForURL(`${dashboard.url}/`), page.click('button[type=submit]')]);
      const { nodeId } = (await clusterStatus()).nodes[0];
      await textOf(page, `#nodes tr[data-node-id="${nodeId}"]`, ['ALIVE', 'CPU']);
      const cookies = await page.context().cookies();
      expect(cookies.find((c) => c.name === 'manta_dashboard')).toMatchObject({
        httpOnly: true,
        sameSite: 'Strict',
      });
      expect(await page.isVisible('#logout button')).toBe(true);
      await Promise.all([page.waitForURL(`${dashboard.url}/login`), page.click('#logout button')]);
    } finally {
      await page.close();
    }
  });
});

describe('dashboard - `manta start --head --dashboard-port`', () => {
  const bin = fileURLToPath(new URL('../../packages/core/bin/manta.mjs', import.meta.url));
  const run = promisify(execFile);
  const sessions = mkdtempSync(join(tmpdir(), 'manta-dashboard-'));
  const env = { ...process.env, MANTA_SESSIONS_DIR: sessions };
  const manta = (...args: string[]) => run(process.execPath, [bin, ...args], { env });

  afterAll(async () => {
    await manta('stop').catch(() => undefined);
    rmSync(sessions, { recursive: true, force: true });
  });

  it('validates the flags', async () => {
    await expect(manta('start', '--head', '--dashboard-port', '70000')).rejects.toMatchObject({
      stderr: /dashboardPort/,
    });
    await expect(
      manta('start', '--address', 'nats://127.0.0.1:1', '--token', 'abcdefghij', '--dashboard-port', '8265'),
    ).rejects.toMatchObject({ stderr: /dashboard runs on the head/ });
    await expect(manta('start', '--head', '--dashboard-host', '0.0.0.0')).rejects.toMatchObject({
      stderr: /--dashboard-host needs --dashboard-port/,
    });
  });

  it('prints the dashboard URL, serves the cluster there, and `manta status` shows it', async () => {
    const started = await manta('start', '--head', '--num-cpus', '1', '--dashboard-port', '0');
    const url = /Dashboard:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(started.stdout)?.[1];
    expect(url, started.stdout).toBeDefined();
    const status = (await (await fetch(`${url}/api/status`)).json()) as {
      nodes: { total: Record<string, number> }[];
    };
    expect(status.nodes.length).toBe(1);
    expect(status.nodes[0].total.CPU).toBe(1);
    const { stdout } = await manta('status');
    expect(stdout).toContain(`Dashboard: ${url}`);
    expect(stdout).toMatch(/Nodes \(1 alive\)/);
    const json = JSON.parse((await manta('status', '--format', 'json')).stdout);
    expect(json.dashboard).toEqual({ url, auth: 'none' });
    // A job submitted to the head's job supervisor shows up with its record.
    await manta('job', 'submit', '--no-wait', '--job-id', 'dash-job', '--', process.execPath, '-e', '1');
    const job = await waitFor(
      async () => {
        const body = (await (await fetch(`${url}/api/jobs`)).json()) as {
          jobs: { jobId: string; status: string; entrypoint: string[] }[];
        };
        return body.jobs.find((j) => j.jobId === 'dash-job');
      },
      30_000,
      'the job in /api/jobs',
    );
    expect(job.entrypoint).toEqual([process.execPath, '-e', '1']);
    expect(['PENDING', 'RUNNING', 'SUCCEEDED']).toContain(job.status);
    const pid = Number(/pid (\d+)/.exec((await manta('stop')).stdout)?.[1]);
    await waitFor(() => !isAlive(pid), 15_000, 'the head to stop');
    await expect(fetch(`${url}/api/status`)).rejects.toThrow();
  });
});
