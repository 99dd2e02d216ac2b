import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { encode } from '../codec/index.ts';
import { MantaError } from '../errors/index.ts';
import { newId } from '../head/index.ts';
import type { Logger } from '../logging/index.ts';
import { serve } from '../nats/index.ts';
import { replyError, replyOk, Subjects } from '../protocol/index.ts';
import { unpackPackage } from './archive.ts';
import { JobLogWriter } from './logs.ts';
import { linkNodeModules } from './packages.ts';
import {
  createJob,
  downloadPackage,
  hasPackage,
  type JobStoreHandles,
  openJobStore,
  readAllJobs,
  readJob,
  writeJob,
} from './store.ts';
import {
  isTerminal,
  type JobRecord,
  JobStatus,
  JobStopSchema,
  JobSubjects,
  type JobSubmit,
  JobSubmitSchema,
} from './types.ts';

export interface JobSupervisorOptions {
  /** Folder under which each job's package is unpacked (`<jobsDir>/<jobId>`). */
  jobsDir: string;
  /** What the entrypoint gets as MANTA_ADDRESS and MANTA_TOKEN. */
  address: string;
  token: string;
  /** The node this supervisor runs on, recorded in each job. */
  nodeId: string;
  /** How long a stopped job gets between SIGTERM and SIGKILL (default 3 s). */
  stopGraceMs?: number;
}

interface RunningJob {
  record: JobRecord;
  child?: ChildProcess;
  stopReason?: string;
  finished: Promise<JobRecord>;
}

/**
 * Runs submitted jobs on the head: unpacks each job's package into its own folder, runs the
 * entrypoint there as a process group with the cluster's address and token in its
 * environment, streams its output into the log stream and keeps its record up to date.
 * Reached only over NATS, so only clients holding the cluster token can submit or stop jobs.
 */
export class JobSupervisor {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly subscriptions: Subscription[] = [];
  private store: JobStoreHandles | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    private readonly options: JobSupervisorOptions,
  ) {}

  async start(): Promise<void> {
    this.store = await openJobStore(this.nc);
    await this.failOrphans();
    this.subscriptions.push(
      serve(this.nc, JobSubjects.submit, JobSubmitSchema, this.log, (m, msg) => this.onSubmit(m, msg)),
      serve(this.nc, JobSubjects.stop, JobStopSchema, this.log, (m, msg) => this.onStop(m.jobId, msg)),
    );
    await this.nc.flush();
  }

  /** Stops every running job (SIGTERM, then SIGKILL after the grace period) and stops serving. */
  async stop(): Promise<void> {
    for (const sub of this.subscriptions) sub.unsubscribe();
    const stopped = Promise.all([...this.jobs.values()].map((job) => this.stopJob(job, 'the head stopped')));
    // Never let a job hold up the head's shutdown past the grace period.
    await Promise.race([stopped, new Promise((r) => setTimeout(r, this.graceMs + 2000).unref())]);
  }

  private get graceMs(): number {
    return this.options.stopGraceMs ?? 3000;
  }

  /** Synchronous last resort on process exit. */
  killAllNow(): void {
    for (const job of this.jobs.values()) if (job.child?.pid) killGroup(job.child.pid, 'SIGKILL');
  }

  /**
   * Jobs left unfinished by a supervisor that died (SIGKILL) cannot be supervised any more: their
   * processes, if still on this machine, are killed and their records marked FAILED.
   */
  private async failOrphans(): Promise<void> {
    const store = this.store!;
    for (const record of await readAllJobs(store)) {
      if (isTerminal(record.status)) continue;
      const killed = record.hostname === hostname() && record.pid && killIfJob(record.pid, record.jobId);
      const message = `the supervisor running it stopped${killed ? '; its processes were killed' : ''}`;
      await this.finish(record, JobStatus.Failed, message);
      await new JobLogWriter(store.js, record.jobId, this.log).end(JobStatus.Failed); // followers stop
    }
  }

  private async onSubmit(m: JobSubmit, msg: Msg): Promise<void> {
    const store = this.store!;
    try {
      if (m.package && !(await hasPackage(store, m.package.hash))) {
        throw new MantaError('PACKAGE_NOT_FOUND', `package ${m.package.hash} was not uploaded`);
      }
      const record: JobRecord = {
        jobId: m.jobId ?? `job_${newId()}`,
        entrypoint: m.entrypoint,
        status: JobStatus.Pending,
        package: m.package,
        envKeys: m.env ? Object.keys(m.env) : undefined,
        metadata: m.metadata,
        submittedAt: new Date().toISOString(),
        nodeId: this.options.nodeId,
        hostname: hostname(),
      };
      await createJob(store, record);
      let settle!: (record: JobRecord) => void;
      const job: RunningJob = { record, finished: new Promise((r) => (settle = r)) };
      this.jobs.set(record.jobId, job);
      replyOk(msg, { jobId: record.jobId });
      this.log.info({ jobId: record.jobId, entrypoint: record.entrypoint }, 'job submitted');
      void this.run(job, m.env ?? {}).then(settle, (error: unknown) => {
        this.log.error({ err: error, jobId: record.jobId }, 'job supervision failed');
        settle(job.record);
      });
    } catch (error) {
      replyError(msg, error);
    }
  }

  private async run(job: RunningJob, env: Record<string, string>): Promise<JobRecord> {
    const { record } = job;
    const logs = new JobLogWriter(this.store!.js, record.jobId, this.log);
    let dir: string;
    try {
      dir = join(this.options.jobsDir, record.jobId);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (record.package) await unpackPackage(await downloadPackage(this.store!, record.package.hash), dir);
      linkNodeModules(dir);
      dir = realpathSync(dir);
    } catch (error) {
      const message = `could not set up the job's working dir: ${(error as Error).message}`;
      logs.note(`manta: ${message}`);
      return this.settle(job, logs, JobStatus.Failed, message);
    }
    if (job.stopReason) return this.settle(job, logs, JobStatus.Stopped, job.stopReason);
    const { MANTA_START_TOKEN: _, ...inherited } = process.env;
    const child = spawn(record.entrypoint[0], record.entrypoint.slice(1), {
      cwd: dir,
      // A process group of its own, so stop() reaches everything the entrypoint started.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...inherited,
        ...env,
        PATH: [join(dir, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
        MANTA_ADDRESS: this.options.address,
        MANTA_TOKEN: this.options.token,
        MANTA_JOB_ID: record.jobId,
        MANTA_JOB_DIR: dir,
        MANTA_JOB_PACKAGE: record.package?.hash ?? '',
      },
    });
    job.child = child;
    logs.pipe(child.stdout!, 'stdout');
    logs.pipe(child.stderr!, 'stderr');
    const outcome = await new Promise<{ code: number | null; signal: string | null; error?: Error }>(
      (resolve) => {
        child.once('error', (error) => resolve({ code: null, signal: null, error }));
        // 'close' comes once the pipes are drained too; but a background process of the job may
        // hold them open after the entrypoint exits, so 'exit' is final after a short wait.
        let timer: NodeJS.Timeout | undefined;
        child.once('exit', (code, signal) => {
          timer = setTimeout(() => {
            child.stdout!.destroy();
            child.stderr!.destroy();
            resolve({ code, signal });
          }, 2000);
        });
        child.once('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal });
        });
        if (child.pid) {
          record.status = JobStatus.Running;
          record.pid = child.pid;
          record.startTime = new Date().toISOString();
          void writeJob(this.store!, record).catch((e: unknown) =>
            this.log.warn({ err: e, jobId: record.jobId }, 'job record not written'),
          );
          this.log.info({ jobId: record.jobId, pid: child.pid }, 'job started');
        }
      },
    );
    record.exitCode = outcome.code;
    record.signal = outcome.signal;
    let status: JobStatus;
    let message: string | undefined;
    if (outcome.error) {
      status = JobStatus.Failed;
      message = `could not start ${record.entrypoint[0]}: ${outcome.error.message}`;
      logs.note(`manta: ${message}`);
    } else if (job.stopReason) {
      status = JobStatus.Stopped;
      message = job.stopReason;
    } else if (outcome.code === 0) {
      status = JobStatus.Succeeded;
    } else {
      status = JobStatus.Failed;
      message = outcome.signal ? `killed by ${outcome.signal}` : `exit code ${outcome.code}`;
    }
    return this.settle(job, logs, status, message);
  }

  /** The final record, then the log's end marker: whoever sees the marker reads the final record. */
  private async settle(
    job: RunningJob,
    logs: JobLogWriter,
    status: JobStatus,
    message: string | undefined,
  ): Promise<JobRecord> {
    this.jobs.delete(job.record.jobId);
    // The job's actors and tasks on the cluster end with it (see Head.onJobEnded).
    this.nc.publish(Subjects.jobEnded, encode({ jobId: job.record.jobId }));
    const final = await this.finish(job.record, status, message);
    await logs.end(status);
    return final;
  }

  private async finish(
    record: JobRecord,
    status: JobStatus,
    message: string | undefined,
  ): Promise<JobRecord> {
    const final: JobRecord = { ...record, status, message, endTime: new Date().toISOString() };
    await writeJob(this.store!, final).catch((e: unknown) =>
      this.log.warn({ err: e, jobId: record.jobId }, 'job record not written'),
    );
    this.log.info({ jobId: record.jobId, status, message }, 'job ended');
    return final;
  }

  private async onStop(jobId: string, msg: Msg): Promise<void> {
    try {
      const job = this.jobs.get(jobId);
      if (job) {
        replyOk(msg, await this.stopJob(job, 'stopped by request'));
        return;
      }
      const record = await readJob(this.store!, jobId);
      if (!record) throw new MantaError('JOB_NOT_FOUND', `no job ${jobId}`);
      replyOk(msg, record); // already finished
    } catch (error) {
      replyError(msg, error);
    }
  }

  /** SIGTERM to the job's process group, SIGKILL after the grace period; resolves with the final record. */
  private async stopJob(job: RunningJob, reason: string): Promise<JobRecord> {
    job.stopReason ??= reason;
    const pid = job.child?.pid;
    if (pid && job.child!.exitCode === null && job.child!.signalCode === null) {
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), this.graceMs);
      const record = await job.finished;
      clearTimeout(timer);
      killGroup(pid, 'SIGKILL'); // whatever of the group outlived its leader
      return record;
    }
    return job.finished;
  }
}

/** Kills the process group of `pid` if that process is still the entrypoint of job `jobId`. */
function killIfJob(pid: number, jobId: string): boolean {
  try {
    const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    if (!environ.includes(`MANTA_JOB_ID=${jobId}`)) return false; // the pid was reused
  } catch {
    return false; // gone (or no /proc)
  }
  killGroup(pid, 'SIGKILL');
  return true;
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone.
  }
}
