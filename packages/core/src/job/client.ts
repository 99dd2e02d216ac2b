import { resolve } from 'node:path';
import type { NatsConnection } from 'nats';
import { MantaError } from '../errors/index.ts';
import { request } from '../protocol/index.ts';
import { packWorkingDir } from './archive.ts';
import { openJobStore, readAllJobs, readJob, uploadPackage } from './store.ts';
import { type JobRecord, JobSubjects, type JobSubmit, type PackageRef } from './types.ts';

export interface SubmitJobOptions {
  /** The command to run, as argv (no shell): e.g. ['npx', 'tsx', 'train.ts']. */
  entrypoint: string[];
  /** Folder to package and run the entrypoint in, on the head and on every node running its code. */
  workingDir?: string;
  /** .gitignore-style patterns left out of the package (node_modules/ and .git/ always are). */
  excludes?: string[];
  /** Largest total size of the working dir's files (default 100 MiB). */
  maxPackageBytes?: number;
  jobId?: string;
  /** Extra environment variables for the entrypoint. */
  env?: Record<string, string>;
  metadata?: Record<string, string>;
}

export interface SubmittedJob {
  jobId: string;
  package?: PackageRef & { uploaded: boolean };
}

/** Packages the working dir, uploads it unless the cluster has it already, and submits the job. */
export async function submitJob(nc: NatsConnection, options: SubmitJobOptions): Promise<SubmittedJob> {
  let pkg: SubmittedJob['package'];
  if (options.workingDir !== undefined) {
    const packed = await packWorkingDir(resolve(options.workingDir), {
      excludes: options.excludes,
      maxBytes: options.maxPackageBytes,
    });
    const uploaded = await uploadPackage(await openJobStore(nc), packed);
    pkg = { hash: packed.hash, bytes: packed.bytes, files: packed.files, uploaded };
  }
  const submit: JobSubmit = {
    jobId: options.jobId,
    entrypoint: options.entrypoint,
    package: pkg && { hash: pkg.hash, bytes: pkg.bytes, files: pkg.files },
    env: options.env,
    metadata: options.metadata,
  };
  const { jobId } = await ask<{ jobId: string }>(nc, JobSubjects.submit, submit);
  return { jobId, package: pkg };
}

/** Stops a job's process group; resolves with its final record once it is gone. */
export async function stopJob(nc: NatsConnection, jobId: string): Promise<JobRecord> {
  return ask<JobRecord>(nc, JobSubjects.stop, { jobId }, 30_000);
}

export async function getJob(nc: NatsConnection, jobId: string): Promise<JobRecord> {
  const record = await readJob(await openJobStore(nc), jobId);
  if (!record) throw new MantaError('JOB_NOT_FOUND', `no job ${jobId} in this cluster`);
  return record;
}

/** Every job of the cluster, oldest first. */
export async function listJobs(nc: NatsConnection): Promise<JobRecord[]> {
  return readAllJobs(await openJobStore(nc));
}

async function ask<T>(nc: NatsConnection, subject: string, body: unknown, timeoutMs = 15_000): Promise<T> {
  try {
    return await request<T>(nc, subject, body, timeoutMs);
  } catch (error) {
    if (/no responders|503/i.test(String((error as Error).cause ?? ''))) {
      throw new MantaError(
        'NO_JOB_SUPERVISOR',
        'no job supervisor answered: the cluster has no head started with `manta start --head`',
        { cause: error },
      );
    }
    throw error;
  }
}
