import { z } from 'zod';

/** Where jobs live in the cluster's JetStream: packages, records and logs. */
export const JobStore = {
  /** Object Store bucket of working-dir packages, each named by its content hash. */
  packages: 'manta_packages',
  /** KV bucket of job records, keyed by job id. */
  records: 'manta_jobs',
  /** Stream of job output: one subject per job, chunks in order, then an end marker. */
  logStream: 'MANTA_JOB_LOGS',
} as const;

export const JobSubjects = {
  /** client -> supervisor: run a job (request). */
  submit: 'manta.job.submit',
  /** client -> supervisor: stop a job (request). */
  stop: 'manta.job.stop',
  /** supervisor -> log stream: a job's stdout/stderr chunks, then the end marker. */
  log: (jobId: string) => `manta.job.${jobId}.log`,
  /** Every job's log subject (the log stream's subject filter). */
  allLogs: 'manta.job.*.log',
} as const;

/** Headers of the log stream's messages. */
export const LogHeaders = {
  /** 'stdout' or 'stderr'. */
  stream: 'Manta-Stream',
  /** Present on the last message of a job's log: the job's final status. */
  end: 'Manta-Job-End',
} as const;

export const JobStatus = {
  Pending: 'PENDING',
  Running: 'RUNNING',
  Succeeded: 'SUCCEEDED',
  Failed: 'FAILED',
  Stopped: 'STOPPED',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export function isTerminal(status: JobStatus): boolean {
  return status === 'SUCCEEDED' || status === 'FAILED' || status === 'STOPPED';
}

export const jobIdPattern = /^[A-Za-z0-9_-]{1,64}$/;
/** Packages are named by the SHA-256 of their bytes. */
export const packageHashPattern = /^[0-9a-f]{64}$/;

/** A job's package: its content hash and size. */
export const PackageRefSchema = z.object({
  hash: z.string().regex(packageHashPattern),
  bytes: z.number().int().nonnegative(),
  files: z.number().int().nonnegative(),
});
export type PackageRef = z.infer<typeof PackageRefSchema>;

export const JobSubmitSchema = z.object({
  jobId: z.string().regex(jobIdPattern).optional(),
  entrypoint: z.array(z.string().min(1).max(4096)).min(1).max(256),
  package: PackageRefSchema.optional(),
  /** Extra environment variables for the entrypoint (their values are not stored in the record). */
  env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(65_536)).optional(),
  metadata: z.record(z.string().max(256), z.string().max(4096)).optional(),
});
export type JobSubmit = z.infer<typeof JobSubmitSchema>;

export const JobStopSchema = z.object({ jobId: z.string().regex(jobIdPattern) });

/** What the cluster remembers about a job (the KV value). */
export interface JobRecord {
  jobId: string;
  entrypoint: string[];
  status: JobStatus;
  /** Why it failed or stopped, or what it is waiting for. */
  message?: string;
  package?: PackageRef;
  envKeys?: string[];
  metadata?: Record<string, string>;
  submittedAt: string;
  startTime?: string;
  endTime?: string;
  exitCode?: number | null;
  signal?: string | null;
  /** The node whose supervisor runs the entrypoint, its host and the entrypoint's pid. */
  nodeId?: string;
  hostname?: string;
  pid?: number;
}
