/**
 * A real S3-protocol server for tests and benchmarks: s3rver on a free loopback port, storing
 * objects in a temp folder that `stop()` removes. Point @aws-sdk/client-s3 at it with
 * `clientConfig` (path-style addressing), or hand `env` to code that reads the standard AWS
 * environment variables.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface S3ServerHandle {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** Folder holding the server's buckets; removed at `stop()`. */
  readonly directory: string;
  /** Standard AWS variables that point the SDK (and @manta/train's s3 storage) at this server. */
  readonly env: Readonly<Record<string, string>>;
  /** Config for `new S3Client(...)`. */
  readonly clientConfig: {
    endpoint: string;
    region: string;
    forcePathStyle: true;
    credentials: { accessKeyId: string; secretAccessKey: string };
    requestChecksumCalculation: 'WHEN_REQUIRED';
    responseChecksumValidation: 'WHEN_REQUIRED';
  };
  /** Requests the server has received, oldest first (method, path, query keys). */
  readonly requests: readonly S3Request[];
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Creates a bucket (idempotent). */
  createBucket(name: string): Promise<void>;
  /** Stops the server and removes its folder; safe to call more than once. */
  stop(): Promise<void>;
}

export interface S3Request {
  method: string;
  /** `/bucket/key` */
  path: string;
  /** Query parameter names, e.g. `['uploadId', 'partNumber']` for UploadPart. */
  query: string[];
}

export interface S3ServerOptions {
  /** Buckets to create before returning. */
  buckets?: string[];
  /**
   * Run the server in a child process rather than in this one, so that its work does not share
   * this event loop and thread pool (benchmarks). The child exits when this process does.
   */
  process?: boolean;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, unknown>;
}
interface S3rverInstance {
  run(): Promise<{ port: number; address: string }>;
  middleware: ((ctx: KoaContext, next: () => Promise<void>) => Promise<void>)[];
  close(): Promise<void>;
  store: { putBucket(name: string): Promise<unknown> };
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

// s3rver ships no types; load it through require and describe the little we use.
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

// s3rver accepts only its built-in account; its signature check is on.
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';
const REGION = 'us-east-1';

export async function startS3Server(options: S3ServerOptions = {}): Promise<S3ServerHandle> {
  const directory = mkdtempSync(join(tmpdir(), 'manta-s3-'));
  const requests: S3Request[] = [];
  let server: RunningServer;
  try {
    server = options.process
      ? await runInChild(directory, requests)
      : await runInProcess(directory, requests);
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const { port } = server;
  const endpoint = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  const handle: S3ServerHandle = {
    endpoint,
    port,
    accessKeyId: ACCESS_KEY_ID,
    secretAccessKey: SECRET_ACCESS_KEY,
    region: REGION,
    directory,
    env: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
      AWS_REGION: REGION,
      AWS_S3_FORCE_PATH_STYLE: 'true',
      // s3rver predates the SDK's default CRC checksums and aws-chunked uploads.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'when_required',
    },
    clientConfig: {
      endpoint,
      region: REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    requests,
    clearRequests() {
      requests.length = 0;
    },
    createBucket: (name) => server.createBucket(name),
    stop() {
      stopped ??= server
        .close()
        .catch(() => undefined)
        .then(() => rmSync(directory, { recursive: true, force: true }));
      return stopped;
    },
  };
  try {
    for (const bucket of options.buckets ?? []) await handle.createBucket(bucket);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  return handle;
}

/**
 * Runs `fn` with the server's variables set in `process.env`, restoring the previous values
 * afterwards (even when `fn` throws).
 */
export async function withS3Env<T>(server: S3ServerHandle, fn: () => Promise<T> | T): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(server.env)) {
    saved.set(key, process.env[key]);
    process.env[key] = value;
  }
  try {
    return await fn();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

interface RunningServer {
  port: number;
  createBucket(name: string): Promise<void>;
  close(): Promise<void>;
}

function s3rverOptions(directory: string) {
  // Port 0: the kernel picks a free port at bind time, so there is no probe-then-bind race.
  return { address: '127.0.0.1', port: 0, silent: true, directory, resetOnClose: false };
}

async function runInProcess(directory: string, requests: S3Request[]): Promise<RunningServer> {
  const server = new S3rver(s3rverOptions(directory));
  // Koa composes its middleware when it starts listening, so this one runs first.
  server.middleware.unshift(async (ctx, next) => {
    requests.push({ method: ctx.method, path: ctx.path, query: Object.keys(ctx.query) });
    await next();
  });
  const { port } = await server.run();
  return {
    port,
    createBucket: async (name) => void (await server.store.putBucket(name)),
    close: () => server.close(),
  };
}

// The child: s3rver reporting each request as a JSON line, taking bucket commands on stdin and
// closing when stdin ends (which also happens when this process dies).
const CHILD = `
const S3rver = require(process.argv[1]);
const server = new S3rver(JSON.parse(process.argv[2]));
const say = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
server.middleware.unshift(async (ctx, next) => { say({ r: [ctx.method, ctx.path, Object.keys(ctx.query)] }); await next(); });
server.run().then(({ port }) => say({ port }), (e) => { console.error(e); process.exit(1); });
require('readline').createInterface({ input: process.stdin })
  .on('line', (line) => { const m = JSON.parse(line); server.store.putBucket(m.bucket).then(() => say({ ok: m.id })); })
  .on('close', () => server.close().finally(() => process.exit(0)));
`;

async function runInChild(directory: string, requests: S3Request[]): Promise<RunningServer> {
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const child = spawn(process.execPath, ['-e', CHILD, s3rverPath, JSON.stringify(s3rverOptions(directory))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, () => void>();
  let nextId = 0;
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { port?: number; r?: [string, string, string[]]; ok?: number };
      if (message.port !== undefined) resolve(message.port);
      else if (message.r) requests.push({ method: message.r[0], path: message.r[1], query: message.r[2] });
      else if (message.ok !== undefined) pending.get(message.ok)?.();
    });
    void exited.then(() => reject(new Error('the s3rver child process exited before it was ready')));
  });
  return {
    port,
    createBucket: (name) =>
      new Promise<void>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.stdin!.write(`${JSON.stringify({ bucket: name, id })}\n`);
      }),
    async close() {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
