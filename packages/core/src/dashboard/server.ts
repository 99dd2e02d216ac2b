import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { z } from 'zod';
import { parseConfig } from '../config/index.ts';
import type { Logger } from '../logging/index.ts';
import {
  bearerToken,
  cookieValue,
  FailureThrottle,
  hostAllowed,
  isLoopbackHost,
  SECURITY_HEADERS,
  SESSION_COOKIE,
  Sessions,
  sameOriginRequest,
  tokenMatches,
} from './security.ts';
import { coalesce, type DashboardSource } from './source.ts';

export const DashboardOptionsSchema = z
  .object({
    /** Interface to bind; loopback unless told otherwise. */
    host: z.string().min(1).default('127.0.0.1'),
    /** TCP port; 0 picks a free one. */
    port: z.number().int().min(0).max(65535),
    /** The cluster token: required to bind anything but loopback. */
    token: z.string().min(8, 'must be at least 8 characters').optional(),
    /** Ask for the token on every request (default: when the host is not loopback). */
    requireToken: z.boolean().optional(),
    /** Extra Host header names accepted (e.g. a DNS name of the head) besides IPs and this host's name. */
    allowedHosts: z.array(z.string().min(1)).default([]),
    /** How often the page refreshes (ms). */
    refreshMs: z.number().int().min(100).max(60_000).default(1000),
  })
  .strict()
  .refine((o) => isLoopbackHost(o.host) || o.token !== undefined, {
    message: 'a dashboard on a non-loopback host needs the cluster token (every request must carry it)',
    path: ['token'],
  })
  .refine((o) => !o.requireToken || o.token !== undefined, {
    message: 'requireToken needs the token',
    path: ['token'],
  });
export type DashboardOptions = z.input<typeof DashboardOptionsSchema>;

export interface DashboardHandle {
  /** Where to open it, e.g. http://127.0.0.1:8265 */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** True when every request needs the cluster token (login page or `Authorization: Bearer`). */
  readonly requiresToken: boolean;
  close(): Promise<void>;
}

const asset = (name: string) => readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8');
const ASSETS = {
  page: asset('index.html'),
  login: asset('login.html'),
  script: asset('app.js'),
  style: asset('app.css'),
};
const MAX_LOGIN_BODY = 4096;

/**
 * The read-only cluster dashboard: one self-contained page (no CDN) that polls `/api/status`
 * (the head's status, as `manta status --format json`), `/api/tasks` and `/api/jobs`.
 * No endpoint changes cluster state; the only POSTs open and close a browser session.
 */
export async function startDashboard(
  source: DashboardSource,
  options: DashboardOptions,
  log?: Logger,
): Promise<DashboardHandle> {
  const config = parseConfig(DashboardOptionsSchema, options, 'dashboard options');
  const loopbackOnly = isLoopbackHost(config.host);
  const requiresToken = config.requireToken ?? !loopbackOnly;
  const token = config.token ?? '';
  const sessions = new Sessions();
  const throttle = new FailureThrottle();
  const fresh = Math.min(250, config.refreshMs / 2);
  const readStatus = coalesce(() => source.status(), fresh);
  const readTasks = source.tasks ? coalesce(source.tasks, fresh) : undefined;
  // Job records live in JetStream KV (one read per job): refreshed less often.
  const readJobs = source.jobs ? coalesce(source.jobs, Math.max(2000, config.refreshMs)) : undefined;

  const authorized = (req: IncomingMessage) => {
    if (!requiresToken || sessions.valid(cookieValue(req, SESSION_COOKIE))) return true;
    const bearer = bearerToken(req);
    if (bearer === undefined) return false;
    if (tokenMatches(bearer, token)) return true;
    throttle.fail(req.socket.remoteAddress);
    return false;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    res.setHeader('cache-control', 'no-store');
    if (!hostAllowed(req.headers.host, loopbackOnly, config.allowedHosts)) {
      log?.warn({ host: req.headers.host }, 'dashboard: refused a request with an unexpected Host header');
      const names = loopbackOnly ? 'an IP address or localhost' : `an IP address or ${hostname()}`;
      return send(
        res,
        403,
        'text/plain',
        `Forbidden: unexpected Host header (open the dashboard by ${names})\n`,
      );
    }
    if (requiresToken && throttle.blocked(req.socket.remoteAddress)) {
      return send(res, 429, 'text/plain', 'Too many wrong tokens: try again in a minute\n');
    }
    const path = new URL(req.url ?? '/', 'http://dashboard').pathname;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method === 'POST' && (path === '/login' || path === '/logout')) {
      if (!sameOriginRequest(req)) return send(res, 403, 'text/plain', 'Forbidden: cross-origin request\n');
      if (path === '/logout') {
        sessions.close(cookieValue(req, SESSION_COOKIE));
        return redirect(res, requiresToken ? '/login' : '/', Sessions.clearCookie());
      }
      const body = await readBody(req, MAX_LOGIN_BODY);
      if (body === undefined) {
        res.setHeader('connection', 'close');
        return send(res, 413, 'text/plain', 'Request body too large\n');
      }
      if (!requiresToken) return redirect(res, '/');
      if (!tokenMatches(new URLSearchParams(body).get('token') ?? undefined, token)) {
        log?.warn({ remote: req.socket.remoteAddress }, 'dashboard: login with a wrong token');
        throttle.fail(req.socket.remoteAddress);
        return send(res, 401, 'text/html', loginPage('Wrong token.'));
      }
      return redirect(res, '/', sessions.cookie(sessions.open()));
    }
    if (method !== 'GET') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain', 'Method not allowed: the dashboard is read-only\n');
    }
    if (path === '/favicon.ico') return send(res, 204, 'text/plain', '');
    if (path === '/app.css') return send(res, 200, 'text/css', ASSETS.style);
    if (path === '/login')
      return requiresToken ? send(res, 200, 'text/html', loginPage()) : redirect(res, '/');
    if (!authorized(req)) {
      if (path.startsWith('/api/')) {
        res.setHeader('www-authenticate', 'Bearer realm="manta"');
        return sendJson(res, 401, { error: 'the cluster token is required' });
      }
      return redirect(res, '/login');
    }
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html', ASSETS.page);
    if (path === '/app.js') return send(res, 200, 'text/javascript', ASSETS.script);
    if (!path.startsWith('/api/')) return send(res, 404, 'text/plain', 'Not found\n');
    if (!sameOriginRequest(req)) return sendJson(res, 403, { error: 'cross-origin request' });
    if (path === '/api/info')
      return sendJson(res, 200, { auth: requiresToken ? 'token' : 'none', refreshMs: config.refreshMs });
    if (path === '/api/status') {
      try {
        return sendJson(res, 200, await readStatus());
      } catch (error) {
        return sendJson(res, 503, { error: `the head did not answer: ${(error as Error).message}` });
      }
    }
    if (path === '/api/tasks') {
      if (!readTasks) return sendJson(res, 200, { available: false, tasks: [], running: 0, pending: 0 });
      try {
        return sendJson(res, 200, { available: true, ...(await readTasks()) });
      } catch (error) {
        return sendJson(res, 503, { error: `the task list is unavailable: ${(error as Error).message}` });
      }
    }
    if (path === '/api/jobs') {
      if (!readJobs) return sendJson(res, 200, { available: false, jobs: [] });
      try {
        return sendJson(res, 200, { available: true, jobs: await readJobs() });
      } catch (error) {
        return sendJson(res, 503, { error: `job records unavailable: ${(error as Error).message}` });
      }
    }
    return sendJson(res, 404, { error: 'no such endpoint' });
  };

  const server = createServer({ requestTimeout: 15_000, headersTimeout: 10_000 }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log?.error({ err: error }, 'dashboard: request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'Internal error\n');
      else res.destroy();
    });
  });
  const port = await listen(server, config.port, config.host);
  const url = `http://${displayHost(config.host)}:${port}`;
  log?.info({ url, requiresToken }, 'dashboard listening');
  return {
    url,
    host: config.host,
    port,
    requiresToken,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'EADDRINUSE' ? 'is in use' : `cannot be bound (${error.message})`;
      reject(new Error(`dashboard: ${host}:${port} ${why}`, { cause: error }));
    });
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/** A host to put in the URL: a wildcard bind shows this machine's first external IPv4. */
function displayHost(host: string): string {
  let shown = host;
  if (host === '0.0.0.0' || host === '::') {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4');
    shown = external?.address ?? '127.0.0.1';
  }
  return isIP(shown) === 6 ? `[${shown}]` : shown;
}

function loginPage(error?: string): string {
  // The error is one of our fixed strings, never request data.
  return ASSETS.login.replace('<!--error-->', error ? `<p class="error" role="alert">${error}</p>` : '');
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8` });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', JSON.stringify(body));
}

function redirect(res: ServerResponse, location: string, cookie?: string): void {
  if (cookie) res.setHeader('set-cookie', cookie);
  res.writeHead(303, { location });
  res.end();
}

/** The request body, or undefined when it is larger than `limit` (the rest is ignored). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(size > limit ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
