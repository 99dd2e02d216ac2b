import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { type DashboardHandle, startClusterDashboard } from '../dashboard/index.ts';
import { Head, type HeadOptions, newId } from '../head/index.ts';
import { createLogger, type Logger } from '../logging/index.ts';
import { type NatsServerHandle, startNatsServer } from '../nats/index.ts';
import { detectResources, NodeAgent } from '../node/index.ts';
import type { Resources } from '../protocol/index.ts';
import { createSessionDir, removeSessionDir, writeClusterInfo } from './session.ts';

export interface EmbeddedClusterOptions {
  resources?: Resources;
  logDir?: string;
  logToConsole?: boolean;
  head?: HeadOptions;
  /** Serve the read-only dashboard on this loopback port (0: a free one). */
  dashboard?: { port: number; host?: string };
}

/**
 * The embedded local cluster `init()` starts when given no address: a private nats-server
 * (token auth, JetStream, loopback), the head services and one node agent, in this process.
 */
export class EmbeddedCluster {
  private constructor(
    readonly server: NatsServerHandle,
    readonly head: Head,
    readonly node: NodeAgent,
    readonly sessionDir: string,
    readonly logDir: string,
    private readonly connections: NatsConnection[],
    readonly dashboard?: DashboardHandle,
  ) {}

  get address(): string {
    return this.server.url;
  }

  get token(): string {
    return this.server.token;
  }

  static async start(options: EmbeddedClusterOptions = {}): Promise<EmbeddedCluster> {
    const sessionDir = createSessionDir();
    const logDir = options.logDir ?? join(sessionDir, 'logs');
    const server = await startNatsServer({ storeDir: join(sessionDir, 'jetstream') });
    const connections: NatsConnection[] = [];
    const closers: (() => Promise<void>)[] = [];
    try {
      const headLog = createLogger('head', 'head', logDir);
      const headNc = await connect({ servers: server.url, token: server.token, name: 'manta-head' });
      connections.push(headNc);
      const head = new Head(headNc, headLog, options.head);
      head.start();
      const dashboard = options.dashboard
        ? await startClusterDashboard(
            headNc,
            { host: options.dashboard.host, port: options.dashboard.port, token: server.token },
            createLogger('dashboard', 'head', logDir),
          )
        : undefined;
      if (dashboard) closers.push(() => dashboard.close());
      const nodeId = newId();
      const nodeNc = await connect({
        servers: server.url,
        token: server.token,
        name: `manta-node-${nodeId}`,
      });
      connections.push(nodeNc);
      const node = new NodeAgent(nodeNc, createLogger('node', nodeId, logDir), {
        nodeId,
        resources: options.resources ?? detectResources(),
        address: server.url,
        token: server.token,
        logDir,
        logToConsole: options.logToConsole ?? true,
        tempDir: join(sessionDir, 'tmp'),
      });
      await node.start();
      writeClusterInfo({
        address: server.url,
        token: server.token,
        pid: process.pid,
        sessionDir,
        startedAt: new Date().toISOString(),
      });
      return new EmbeddedCluster(server, head, node, sessionDir, logDir, connections, dashboard);
    } catch (error) {
      for (const close of closers) await close().catch(() => undefined);
      for (const nc of connections) await nc.close().catch(() => undefined);
      await server.stop();
      removeSessionDir(sessionDir);
      throw error;
    }
  }

  async stop(): Promise<void> {
    await this.dashboard?.close();
    await this.node.stop();
    await this.head.stop();
    for (const nc of this.connections) await nc.close().catch(() => undefined);
    await this.server.stop();
    removeSessionDir(this.sessionDir);
  }

  /** Synchronous last-resort cleanup on process exit: kill children; the server's watchdog sees our pipe close. */
  killNow(): void {
    this.node.killAllNow();
  }
}

export type { Logger };
