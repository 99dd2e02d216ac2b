import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { Head, newId } from '../head/index.ts';
import { createLogger } from '../logging/index.ts';
import { type NatsServerHandle, startNatsServer } from '../nats/index.ts';
import { NodeAgent } from '../node/index.ts';
import type { Resources } from '../protocol/index.ts';
import { createSessionDir, removeSessionDir, sessionsRoot, writeClusterInfo } from './session.ts';

export interface DaemonOptions {
  /** Start the head: a nats-server, the head services and a node. Otherwise join `address`. */
  head: boolean;
  address?: string;
  host: string;
  port?: number;
  token: string;
  resources: Resources;
}

export interface DaemonRecord {
  pid: number;
  role: 'head' | 'node';
  address: string;
  nodeId: string;
  sessionDir: string;
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
  let server: NatsServerHandle | undefined;
  let address = options.address;
  if (options.head) {
    server = await startNatsServer({
      host: options.host,
      port: options.port,
      token: options.token,
      storeDir: join(sessionDir, 'jetstream'),
    });
    address = server.url;
  }
  if (!address) throw new Error('a node needs --address');
  const connections: NatsConnection[] = [];
  let head: Head | undefined;
  if (options.head) {
    const headNc = await connect({
      servers: address,
      token: options.token,
      name: 'manta-head',
      maxReconnectAttempts: -1,
    });
    connections.push(headNc);
    head = new Head(headNc, createLogger('head', 'head', logDir), { infeasible: 'wait' });
    head.start();
  }
  const nodeId = newId();
  const nodeNc = await connect({
    servers: address,
    token: options.token,
    name: `manta-node-${nodeId}`,
    maxReconnectAttempts: -1,
  });
  connections.push(nodeNc);
  const node = new NodeAgent(nodeNc, createLogger('node', nodeId, logDir), {
    nodeId,
    resources: options.resources,
    address,
    token: options.token,
    logDir,
  });
  await node.start();
  const record: DaemonRecord = {
    pid: process.pid,
    role: options.head ? 'head' : 'node',
    address,
    nodeId,
    sessionDir,
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
  const stop = async () => {
    await node.stop();
    await head?.stop();
    for (const nc of connections) await nc.close().catch(() => undefined);
    await server?.stop();
    forgetDaemon(process.pid);
    removeSessionDir(sessionDir);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
  process.once('exit', () => node.killAllNow());
  return record;
}
