import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from 'nats';
import { type DashboardHandle, startClusterDashboard } from '../dashboard/index.ts';
import { type Head, newId, startHead } from '../head/index.ts';
import { JobSupervisor } from '../job/index.ts';
import { createLogger } from '../logging/index.ts';
import { connectNats, type NatsServerHandle, startNatsCluster, startNatsServer } from '../nats/index.ts';
import { NodeAgent } from '../node/index.ts';
import type { Resources } from '../protocol/index.ts';
import { createSessionDir, removeSessionDir, sessionsRoot, writeClusterInfo } from './session.ts';

export interface DaemonOptions {
  /** Start the head: a nats-server, the head services and a node. Otherwise join `address`. */
  head: boolean;
  /** One NATS URL, or every server of a NATS cluster, comma-separated. */
  address?: string;
  /** With `head`: start a local 3-server NATS cluster instead of one nats-server. */
  natsCluster?: boolean;
  host: string;
  port?: number;
  token: string;
  resources: Resources;
  /** With `head`: run a node agent in this process too (default true). Without one the head restarts alone. */
  node?: boolean;
  /** With `head`: how long a silent self-joined driver is waited for (see HeadOptions). */
  driverTimeoutMs?: number;
  /** Serve the dashboard (head only); loopback unless `host` says otherwise. */
  dashboard?: { host: string; port: number };
}

export interface DaemonRecord {
  pid: number;
  role: 'head' | 'node';
  address: string;
  nodeId: string;
  sessionDir: string;
  dashboardUrl?: string;
}

function daemonsDir(): string {
  return join(sessionsRoot(), 'daemons');
}

/** The daemons `manta start` started on this machine (for `manta stop`). */
export function listDaemons(): DaemonRecord[] {
  try {
    return readdirSync(daemonsDir()).flatMap((f) => {
      try {
        return [JSON.parse(readFileSync(join(daemonsDir(), f), 'utf8')) as DaemonRecord];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

export function forgetDaemon(pid: number): void {
  rmSync(join(daemonsDir(), `${pid}.json`), { force: true });
}

/**
 * Runs a head (nats-server + head services + a node agent) or a node agent joining a head, in
 * this process, until SIGTERM/SIGINT. This is what `manta start` runs in the background.
 */
export async function runDaemon(options: DaemonOptions): Promise<DaemonRecord> {
  const sessionDir = createSessionDir();
  const logDir = join(sessionDir, 'logs');
  let server: Pick<NatsServerHandle, 'stop'> | undefined;
  let address = options.address;
  if (options.head && options.natsCluster && !options.address) {
    // Three routed nats-servers: the cluster goes on when one of them is lost.
    const cluster = await startNatsCluster({
      host: options.host,
      ports: options.port ? [0, 1, 2].map((i) => options.port! + i) : undefined,
      token: options.token,
      storeDir: join(sessionDir, 'jetstream'),
    });
    server = cluster;
    address = cluster.address;
  } else if (options.head && !options.address) {
    // (A head given --address runs on that NATS server, and can restart without it.)
    const single = await startNatsServer({
      host: options.host,
      port: options.port,
      token: options.token,
      storeDir: join(sessionDir, 'jetstream'),
    });
    server = single;
    address = single.url;
  }
  if (!address) throw new Error('a node needs --address');
  const connections: NatsConnection[] = [];
  // Set once everything is up; a head that lost its lease before then just exits.
  let stopDaemon: ((exitCode: number) => Promise<void>) | undefined;
  let head: Head | undefined;
  let dashboard: DashboardHandle | undefined;
  if (options.head) {
    const headNc = await connectNats({ address, token: options.token, name: 'manta-head' });
    connections.push(headNc);
    // Cluster state goes to JetStream KV: a head restarted on the same NATS server picks it up.
    const replicas = options.natsCluster || address.split(',').length >= 3 ? 3 : 1;
    head = await startHead(headNc, createLogger('head', 'head', logDir), {
      infeasible: 'wait',
      driverTimeoutMs: options.driverTimeoutMs,
      persist: { replicas },
      onLeaseLost: () => (stopDaemon ? void stopDaemon(1) : process.exit(1)),
    });
    if (options.dashboard) {
      const log = createLogger('dashboard', 'head', logDir);
      dashboard = await startClusterDashboard(headNc, { ...options.dashboard, token: options.token }, log);
    }
  }
  const nodeId = newId();
  const nodeNc = await connectNats({ address, token: options.token, name: `manta-node-${nodeId}` });
  connections.push(nodeNc);
  const node = new NodeAgent(nodeNc, createLogger('node', nodeId, logDir), {
    nodeId,
    resources: options.resources,
    address,
    token: options.token,
    logDir,
    packagesDir: join(sessionDir, 'packages'),
    tempDir: join(sessionDir, 'tmp'),
  });
  if (!options.head || options.node !== false) await node.start();
  // Submitted jobs run on the head's machine, each in a folder of this session.
  let jobs: JobSupervisor | undefined;
  if (options.head) {
    const jobsNc = await connectNats({ address, token: options.token, name: 'manta-jobs' });
    connections.push(jobsNc);
    jobs = new JobSupervisor(jobsNc, createLogger('jobs', 'head', logDir), {
      jobsDir: join(sessionDir, 'jobs'),
      address,
      token: options.token,
      nodeId,
    });
    await jobs.start();
  }
  const record: DaemonRecord = {
    pid: process.pid,
    role: options.head ? 'head' : 'node',
    address,
    nodeId,
    sessionDir,
    dashboardUrl: dashboard?.url,
  };
  mkdirSync(daemonsDir(), { recursive: true, mode: 0o700 });
  writeFileSync(join(daemonsDir(), `${process.pid}.json`), JSON.stringify(record), { mode: 0o600 });
  if (options.head) {
    writeClusterInfo({
      address,
      token: options.token,
      pid: process.pid,
      sessionDir,
      startedAt: new Date().toISOString(),
    });
  }
  const stop = async (exitCode = 0) => {
    await dashboard?.close();
    await jobs?.stop();
    await node.stop();
    await head?.stop();
    for (const nc of connections) await nc.close().catch(() => undefined);
    await server?.stop();
    forgetDaemon(process.pid);
    removeSessionDir(sessionDir);
    process.exit(exitCode);
  };
  stopDaemon = stop;
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.once('exit', () => {
    jobs?.killAllNow();
    node.killAllNow();
  });
  return record;
}
