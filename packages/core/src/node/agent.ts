import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, type WriteStream } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsConnection, Subscription } from 'nats';
import { z } from 'zod';
import { sessionsRoot } from '../cluster/session.ts';
import { encode } from '../codec/index.ts';
import { ensurePackage } from '../job/packages.ts';
import { type JobStoreHandles, openJobStore } from '../job/store.ts';
import type { Logger } from '../logging/index.ts';
import { disruptions, parseServers, serve } from '../nats/index.ts';
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
  /** Where job packages are unpacked for this node's workers (default: <sessions root>/packages). */
  packagesDir?: string;
  /**
   * Where each worker's temp folder goes (`os.tmpdir()` in the worker is `<tempDir>/<workerId>`;
   * default: a `manta-node-<nodeId>` folder in the system temp folder). A worker's folder is
   * removed when the worker dies (a signal or a non-zero exit); all of them when the node stops.
   */
  tempDir?: string;
}

/** Exit reports kept to re-send after a NATS disruption. */
const RECENT_EXITS = 64;

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
  /** Recent worker ids and exit reports, for repeats of spawn requests and re-sends after a disruption. */
  private readonly spawned = new Set<string>();
  private readonly exits = new Map<string, Uint8Array>();
  private jobStore: Promise<JobStoreHandles> | undefined;
  private readonly tempRoot: string;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly options: NodeAgentOptions,
  ) {
    this.tempRoot = options.tempDir ?? join(tmpdir(), `manta-node-${options.nodeId}`);
  }

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
            // A repeat after a disruption (the reply was lost) must not start a second process.
            if (!this.spawned.has(m.workerId)) this.spawnWorker(m.workerId);
            replyOk(msg);
          } catch (error) {
            replyError(msg, error);
          }
        },
      ),
      serve(this.nc, Subjects.nodeKillWorker(nodeId), z.object({ workerId: z.string() }), this.log, (m) => {
        this.children.get(m.workerId)?.kill('SIGKILL');
      }),
      serve(
        this.nc,
        Subjects.nodePackage(nodeId),
        z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/) }),
        this.log,
        async (m, msg) => {
          try {
            this.jobStore ??= openJobStore(this.nc);
            const packagesDir = this.options.packagesDir ?? join(sessionsRoot(), 'packages');
            replyOk(msg, { dir: await ensurePackage(await this.jobStore, m.hash, packagesDir) });
          } catch (error) {
            this.jobStore = undefined;
            replyError(msg, error);
          }
        },
      ),
    );
    disruptions(this.nc).onRecover(() => this.resync());
    // A restarted head asks every node to register again, reporting the workers it has.
    this.subscriptions.push(
      this.nc.subscribe(Subjects.headStarted, { callback: () => void this.reregister() }),
      this.nc.subscribe(Subjects.nodeReregister(nodeId), { callback: () => void this.reregister() }),
    );
    await this.nc.flush();
    const registration = this.registration();
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

  private registration() {
    return {
      nodeId: this.options.nodeId,
      resources: this.options.resources,
      hostname: hostname(),
      pid: process.pid,
      workers: [...this.children].map(([workerId, child]) => ({ workerId, pid: child.pid ?? 0 })),
    };
  }

  private registering: Promise<void> | undefined;

  /** Registers with a new head, reporting the live workers; retried while the node runs. */
  private reregister(): Promise<void> {
    this.registering ??= (async () => {
      try {
        while (!this.stopping && !this.nc.isClosed()) {
          try {
            await request(this.nc, Subjects.nodeRegister, this.registration(), 5000);
            return;
          } catch (error) {
            this.log.warn({ err: error }, 'registering with the head failed; retrying');
            await new Promise((r) => setTimeout(r, 1000));
          }
        }
      } finally {
        this.registering = undefined;
      }
    })();
    return this.registering;
  }

  /** Pids of the live worker processes, by worker id. */
  workerPids(): Map<string, number> {
    return new Map([...this.children].map(([id, child]) => [id, child.pid!]));
  }

  private spawnWorker(workerId: string): void {
    const workerTemp = join(this.tempRoot, workerId);
    mkdirSync(workerTemp, { recursive: true, mode: 0o700 });
    const env = {
      ...process.env,
      MANTA_WORKER_TMPDIR: workerTemp,
      MANTA_ADDRESS: this.workerAddress(),
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
    this.spawned.add(workerId);
    if (this.spawned.size > 10_000) this.spawned.delete(this.spawned.values().next().value!);
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
        this.reportExit(workerId, null, 'SPAWN_ERROR');
      }
    });
    child.once('exit', (code, signal) => {
      // What a dead worker left in its temp folder (a half-written checkpoint) is of no use.
      if (signal !== null || code !== 0) rmSync(workerTemp, { recursive: true, force: true });
      if (!this.children.delete(workerId)) return; // already reported by 'error'
      sink?.end();
      this.log.info({ workerId, code, signal }, 'worker exited');
      if (!this.stopping && !this.nc.isClosed()) this.reportExit(workerId, code, signal);
    });
    this.log.info({ workerId, pid: child.pid }, 'worker started');
  }

  /** Our address plus the servers the NATS cluster told us of, so a worker can start when ours is down. */
  private workerAddress(): string {
    const learned = (this.nc.info?.connect_urls ?? []).map((url) => `nats://${url}`);
    return [...new Set([...parseServers(this.options.address), ...learned])].join(',');
  }

  private reportExit(workerId: string, code: number | null, signal: string | null): void {
    const report = encode({ workerId, nodeId: this.options.nodeId, code, signal });
    this.exits.set(workerId, report);
    if (this.exits.size > RECENT_EXITS) this.exits.delete(this.exits.keys().next().value!);
    this.nc.publish(Subjects.workerExited, report);
  }

  /** After a NATS disruption: exit reports may have been lost; the head ignores repeats. */
  private resync(): void {
    if (this.stopping) return;
    for (const report of this.exits.values()) this.nc.publish(Subjects.workerExited, report);
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
    rmSync(this.tempRoot, { recursive: true, force: true });
  }

  /** Synchronous last-resort cleanup for process exit. */
  killAllNow(): void {
    for (const child of this.children.values()) child.kill('SIGKILL');
  }
}
