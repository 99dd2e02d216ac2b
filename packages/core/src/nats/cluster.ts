import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { MantaError } from '../errors/index.ts';
import { freePort, generateToken, launch, natsServerBinary, writePrivateConfig } from './server.ts';

export interface NatsClusterOptions {
  /** Number of servers (default 3: one can be lost and JetStream keeps a quorum). */
  size?: number;
  /** Interface every server binds, for clients and routes; loopback unless told otherwise. */
  host?: string;
  /** Auth token clients must present on every server; one is generated when omitted. */
  token?: string;
  /** Client ports, one per server; free ports when omitted. */
  ports?: number[];
  /** Cluster name (default "manta"). */
  name?: string;
  /** Enable clustered JetStream (default true). */
  jetstream?: boolean;
  /** Parent folder of the servers' JetStream stores; a temp folder (removed at stop) when omitted. */
  storeDir?: string;
  /** Largest message the servers accept, in bytes (nats-server's default is 1 MiB). */
  maxPayload?: number;
}

export interface NatsClusterMember {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** The nats-server process itself (not its watchdog), e.g. to SIGKILL it in a fault test. */
  readonly pid: number;
  /** True once the server process has exited. */
  readonly exited: boolean;
  kill(signal?: NodeJS.Signals): void;
  stop(): Promise<void>;
}

export interface NatsClusterHandle {
  readonly urls: string[];
  /** Every client URL, comma-separated: what `init({ address })` and `manta start --address` take. */
  readonly address: string;
  readonly token: string;
  readonly servers: NatsClusterMember[];
  /** Stops every server and removes the temp folders the cluster created. */
  stop(): Promise<void>;
}

const ROUTE_USER = 'manta-route';

/**
 * Starts `size` nats-servers routed into one cluster, with clustered JetStream (so KV buckets
 * and streams can keep 3 replicas), under the same rules as `startNatsServer`: token required,
 * loopback by default, secrets only in 0600 config files. Routes between the servers
 * authenticate with a generated password. Resolves once JetStream has a meta leader.
 */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1)
    throw new MantaError('BAD_CONFIG', `size must be >= 1, got ${size}`);
  if (options.ports && options.ports.length !== size)
    throw new MantaError('BAD_CONFIG', `ports must list ${size} ports, got ${options.ports.length}`);
  const binary = natsServerBinary();
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? generateToken();
  const jetstream = options.jetstream !== false;
  const ownsStore = jetstream && options.storeDir === undefined;
  const storeRoot = ownsStore ? mkdtempSync(join(tmpdir(), 'manta-nats-')) : options.storeDir;
  const configDir = mkdtempSync(join(tmpdir(), 'manta-nats-conf-'));
  const owned = [configDir, ...(ownsStore ? [storeRoot!] : [])];
  const cleanup = () => {
    for (const dir of owned) rmSync(dir, { recursive: true, force: true });
  };

  for (let attempt = 0; ; attempt++) {
    const ports = await distinctFreePorts(host, options.ports ? size : 2 * size);
    const clientPorts = options.ports ?? ports.slice(0, size);
    const routePorts = options.ports ? ports : ports.slice(size);
    const password = randomBytes(18).toString('base64url');
    const children: ChildProcess[] = [];
    try {
      const launches = clientPorts.map((port, i) => {
        const name = `${options.name ?? 'manta'}-${i}`;
        const routes = routePorts
          .filter((_, j) => j !== i)
          .map((p) => `nats-route://${ROUTE_USER}:${password}@${host}:${p}`);
        const storeDir = jetstream ? join(storeRoot!, name) : undefined;
        if (storeDir) mkdirSync(storeDir, { recursive: true });
        const text = serverConfig({
          name,
          clusterName: options.name ?? 'manta',
          host,
          port,
          routePort: routePorts[i],
          routes,
          password,
          token,
          storeDir,
          maxPayload: options.maxPayload,
          pidFile: join(configDir, `${name}.pid`),
        });
        const file = writePrivateConfig(configDir, `${name}.conf`, text);
        return launch(binary, ['-c', file]).then((child) => {
          children[i] = child;
          return child;
        });
      });
      const settled = await Promise.allSettled(launches);
      const failed = settled.find((s) => s.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
      const members = clientPorts.map((port, i) => {
        const name = `${options.name ?? 'manta'}-${i}`;
        const pid = Number(readFileSync(join(configDir, `${name}.pid`), 'utf8').trim());
        return member(children[i], name, `nats://${host}:${port}`, port, pid);
      });
      // The configs (with the secrets) are read at startup only: gone at once, so that none is
      // left behind if this process is SIGKILLed.
      rmSync(configDir, { recursive: true, force: true });
      const urls = members.map((m) => m.url);
      if (jetstream) await waitForJetStream(urls, token);
      let stopped: Promise<void> | undefined;
      return {
        urls,
        address: urls.join(','),
        token,
        servers: members,
        stop() {
          stopped ??= Promise.all(members.map((m) => m.stop())).then(cleanup);
          return stopped;
        },
      };
    } catch (error) {
      await Promise.all(children.filter(Boolean).map((child) => stopChild(child)));
      // Another process may have taken a probed port before a server bound it: try new ones.
      if (options.ports !== undefined || attempt >= 3) {
        cleanup();
        throw error;
      }
    }
  }
}

interface ServerConfig {
  name: string;
  clusterName: string;
  host: string;
  port: number;
  routePort: number;
  routes: string[];
  password: string;
  token: string;
  storeDir?: string;
  maxPayload?: number;
  pidFile: string;
}

function serverConfig(c: ServerConfig): string {
  const q = JSON.stringify;
  return [
    `server_name: ${q(c.name)}`,
    `listen: ${q(`${c.host}:${c.port}`)}`,
    `pid_file: ${q(c.pidFile)}`,
    `authorization {\n  token: ${q(c.token)}\n}`,
    c.maxPayload ? `max_payload: ${c.maxPayload}` : '',
    c.storeDir ? `jetstream {\n  store_dir: ${q(c.storeDir)}\n}` : '',
    'cluster {',
    `  name: ${q(c.clusterName)}`,
    `  listen: ${q(`${c.host}:${c.routePort}`)}`,
    `  authorization {\n    user: ${q(ROUTE_USER)}\n    password: ${q(c.password)}\n  }`,
    `  routes: [${c.routes.map((r) => q(r)).join(', ')}]`,
    '}',
    '',
  ].join('\n');
}

async function distinctFreePorts(host: string, count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}

function member(
  child: ChildProcess,
  name: string,
  url: string,
  port: number,
  pid: number,
): NatsClusterMember {
  let stopped: Promise<void> | undefined;
  return {
    name,
    url,
    port,
    pid,
    get exited() {
      return child.exitCode !== null || child.signalCode !== null;
    },
    kill(signal: NodeJS.Signals = 'SIGKILL') {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    },
    stop() {
      stopped ??= stopChild(child);
      return stopped;
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin!.end(); // the watchdog stops the server when our pipe closes
    child.kill('SIGTERM');
  });
}

/** Waits until the cluster's JetStream answers (its meta group has elected a leader). */
async function waitForJetStream(urls: string[], token: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const nc = await connect({ servers: urls, token, timeout: 5000 });
  let lastError: unknown;
  try {
    while (Date.now() < deadline) {
      try {
        const jsm = await nc.jetstreamManager({ timeout: 2000 });
        await jsm.getAccountInfo();
        return;
      } catch (error) {
        lastError = error;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    await nc.close();
  }
  throw new MantaError(
    'NATS_SERVER_START',
    `the NATS cluster's JetStream did not become ready in ${timeoutMs} ms: ${(lastError as Error)?.message}`,
  );
}
