import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection, Subscription } from 'nats';
import { z } from 'zod';
import { encode } from '../codec/index.ts';
import type { Logger } from '../logging/index.ts';
import { serve } from '../nats/index.ts';
import { type Resources, replyError, replyOk, request, Subjects } from '../protocol/index.ts';

export interface NodeAgentOptions {
  nodeId: string;
  resources: Resources;
  /** Address and token workers use to join the cluster. */
  address: string;
  token?: string;
  logDir?: string;
  /** Copy worker stdout/stderr to this process's stderr, prefixed with the worker's pid. */
  logToConsole?: boolean;
  /** Working directory for worker processes. */
  cwd?: string;
  heartbeatMs?: number;
}

const workerMain = fileURLToPath(new URL('../worker/main.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

/**
 * A node agent: registers this machine's resources with the head, starts worker processes on
 * request (one process per task slot or actor, so a crash takes down only itself), reports
 * their exits, and sends heartbeats.
 */
export class NodeAgent {
  private readonly children = new Map<string, ChildProcess>();
  private readonly subscriptions: Subscription[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly options: NodeAgentOptions,
  ) {}

  get nodeId(): string {
    return this.options.nodeId;
  }

  async start(): Promise<void> {
    const { nodeId } = this.options;
    this.subscriptions.push(
      serve(
        this.nc,
        Subjects.nodeSpawn(nodeId),
        z.object({ workerId: z.string().regex(/^[A-Za-z0-9_-]+$/) }),
        this.log,
        (m, msg) => {
          try {
            this.spawnWorker(m.workerId);
            replyOk(msg);
          } catch (error) {
            replyError(msg, error);
          }
        },
      ),
      serve(this.nc, Subjects.nodeKillWorker(nodeId), z.object({ workerId: z.string() }), this.log, (m) => {
        this.children.get(m.workerId)?.kill('SIGKILL');
      }),
    );
    await this.nc.flush();
    const registration = {
      nodeId,
      resources: this.options.resources,
      hostname: hostname(),
      pid: process.pid,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await request(this.nc, Subjects.nodeRegister, registration, 2000);
        break;
      } catch (error) {
        if (attempt >= 30) throw error;
        await new Promise((r) => setTimeout(r, 500)); // the head may still be starting
      }
    }
    this.heartbeat = setInterval(() => {
      this.nc.publish(Subjects.nodeHeartbeat, encode({ nodeId, workers: this.children.size }));
    }, this.options.heartbeatMs ?? 1000);
    this.heartbeat.unref();
  }

  /** Pids of the live worker processes, by worker id. */
  workerPids(): Map<string, number> {
    return new Map([...this.children].map(([id, child]) => [id, child.pid!]));
  }

  private spawnWorker(workerId: string): void {
    const env = {
      ...process.env,
      MANTA_ADDRESS: this.options.address,
      MANTA_TOKEN: this.options.token ?? '',
      MANTA_WORKER_ID: workerId,
      MANTA_NODE_ID: this.options.nodeId,
      MANTA_LOG_DIR: this.options.logDir ?? '',
    };
    const child = spawn(process.execPath, ['--import', tsxLoader, workerMain], {
      env,
      cwd: this.options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.children.set(workerId, child);
    const sink = this.logSink(workerId);
    const forward = (stream: NodeJS.ReadableStream, console: NodeJS.WriteStream) => {
      stream.on('data', (chunk: Buffer) => {
        sink?.write(chunk);
        if (this.options.logToConsole && !this.stopping) {
          const text = chunk.toString().replace(/\n$/, '');
          console.write(
            `${text
              .split('\n')
              .map((line) => `(worker pid=${child.pid}) ${line}`)
              .join('\n')}\n`,
          );
        }
      });
    };
    forward(child.stdout!, process.stdout);
    forward(child.stderr!, process.stderr);
    child.stdin!.on('error', () => undefined);
    // A process that cannot start emits 'error' (and maybe no 'exit'): report it as exited.
    child.once('error', (error) => {
      this.log.error({ workerId, err: error }, 'worker process failed to start');
      if (this.children.delete(workerId) && !this.stopping && !this.nc.isClosed()) {
        this.nc.publish(
          Subjects.workerExited,
          encode({ workerId, nodeId: this.options.nodeId, code: null, signal: 'SPAWN_ERROR' }),
        );
      }
    });
    child.once('exit', (code, signal) => {
      if (!this.children.delete(workerId)) return; // already reported by 'error'
      sink?.end();
      this.log.info({ workerId, code, signal }, 'worker exited');
      if (!this.stopping && !this.nc.isClosed()) {
        this.nc.publish(
          Subjects.workerExited,
          encode({ workerId, nodeId: this.options.nodeId, code, signal }),
        );
      }
    });
    this.log.info({ workerId, pid: child.pid }, 'worker started');
  }

  private logSink(workerId: string): WriteStream | undefined {
    if (!this.options.logDir) return undefined;
    mkdirSync(this.options.logDir, { recursive: true });
    return createWriteStream(join(this.options.logDir, `worker-${workerId}.out`));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    for (const sub of this.subscriptions) sub.unsubscribe();
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.stdin?.end();
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 2000).unref();
        }),
    );
    await Promise.all(exits);
  }

  /** Synchronous last-resort cleanup for process exit. */
  killAllNow(): void {
    for (const child of this.children.values()) child.kill('SIGKILL');
  }
}
