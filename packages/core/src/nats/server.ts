import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MantaError } from '../errors/index.ts';

export interface NatsServerOptions {
  /** Port to listen on; a free loopback port when omitted. */
  port?: number;
  /** Interface to bind; loopback unless told otherwise. */
  host?: string;
  /** Auth token clients must present; one is generated when omitted. */
  token?: string;
  /** Enable JetStream with a store in a temp folder (default true). */
  jetstream?: boolean;
  /** JetStream store folder; a temp folder (removed at stop) when omitted. */
  storeDir?: string;
  /** Largest message the server accepts, in bytes (nats-server's default is 1 MiB). */
  maxPayload?: number;
  /** Extra nats-server arguments (cluster routes, ...). */
  extraArgs?: string[];
}

export interface NatsServerHandle {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly pid: number;
  /** Stops the server and removes the temp store it created. */
  stop(): Promise<void>;
}

export class NatsServerNotFoundError extends MantaError {
  constructor() {
    super(
      'NATS_SERVER_NOT_FOUND',
      'nats-server was not found on PATH. Install it (Debian/Ubuntu: `sudo apt-get install -y nats-server`) ' +
        'or set MANTA_NATS_SERVER to its path.',
    );
  }
}

export function natsServerBinary(): string {
  const configured = process.env.MANTA_NATS_SERVER;
  const candidate = configured ?? 'nats-server';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new NatsServerNotFoundError();
  return candidate;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Spawn a private nats-server. The server runs under a tiny shell watchdog that kills it when
 * our stdin pipe closes, so even a SIGKILLed parent leaves no orphan server behind.
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const binary = natsServerBinary();
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? generateToken();
  const ownsStore = options.jetstream !== false && options.storeDir === undefined;
  const storeDir = ownsStore ? mkdtempSync(join(tmpdir(), 'manta-nats-')) : options.storeDir;
  const configDir = mkdtempSync(join(tmpdir(), 'manta-nats-conf-'));

  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort(host));
    // The token goes in a 0600 config file, not argv, where any local user could read it with ps.
    const args = ['-a', host, '-p', String(port), '-c', writeAuthConfig(configDir, token)];
    if (options.jetstream !== false) args.push('-js', '-sd', storeDir!);
    if (options.maxPayload) args.push('--max_payload', String(options.maxPayload));
    args.push(...(options.extraArgs ?? []));
    try {
      const child = await launch(binary, args);
      // Read at startup only: gone at once, no token file is left behind if we are SIGKILLed.
      rmSync(configDir, { recursive: true, force: true });
      return handle(child, `nats://${host}:${port}`, port, token, ownsStore ? [storeDir!] : []);
    } catch (error) {
      // Another process may have taken the free port between probe and bind: try a new one.
      if (options.port !== undefined || attempt >= 4) {
        rmSync(configDir, { recursive: true, force: true });
        if (ownsStore) rmSync(storeDir!, { recursive: true, force: true });
        throw error;
      }
    }
  }
}

// Background jobs of a non-interactive shell read /dev/null, so the watchdog reads our pipe via fd 3.
const WATCHDOG =
  'exec 3<&0; bin="$1"; shift; "$bin" "$@" & pid=$!; trap \'kill $pid 2>/dev/null\' EXIT TERM INT; ' +
  '(cat <&3 >/dev/null; kill $pid 2>/dev/null) & wait $pid';

/** Starts nats-server under the watchdog; resolves once it logs that it is ready. */
export function launch(binary: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', WATCHDOG, 'nats-watchdog', binary, ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(
      () => fail(new MantaError('NATS_SERVER_START', `nats-server did not start in 10 s:\n${output}`)),
      10_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        child.stderr!.off('data', onData);
        child.stderr!.resume();
        resolve(child);
      }
    };
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      fail(new MantaError('NATS_SERVER_START', `nats-server exited with ${code}:\n${output}`)),
    );
  });
}

function writeAuthConfig(dir: string, token: string): string {
  return writePrivateConfig(dir, 'auth.conf', `authorization {\n  token: ${JSON.stringify(token)}\n}\n`);
}

/** Writes a nats-server config file only its owner can read (it holds secrets). */
export function writePrivateConfig(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

function handle(
  child: ChildProcess,
  url: string,
  port: number,
  token: string,
  owned: string[],
): NatsServerHandle {
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    token,
    pid: child.pid!,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.stdin!.end();
        child.kill('SIGTERM');
      }).then(() => {
        for (const dir of owned) rmSync(dir, { recursive: true, force: true });
      });
      return stopped;
    },
  };
}
