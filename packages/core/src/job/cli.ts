import { type Command, Option } from 'commander';
import { connect, type NatsConnection } from 'nats';
import { z } from 'zod';
import { table } from '../cli/format.ts';
import { parseConfig } from '../config/index.ts';
import { parseServers } from '../nats/index.ts';
import { type JobRecord, jobIdPattern } from './types.ts';

// The client (tar, JetStream) loads only when a job command runs: every `manta` call reads this file.
const client = () => import('./client.ts');
const logs = () => import('./logs.ts');

/** How the CLI finds the cluster (--address/--token, environment, or the local cluster file). */
export type ClusterResolver = (options: { address?: string; token?: string }) => {
  address: string;
  token?: string;
};

const Connection = {
  address: z
    .string()
    .regex(/^(nats|tls):\/\//, 'must be a nats:// URL')
    .optional(),
  token: z.string().min(1).optional(),
};
const Format = z.enum(['table', 'json']).default('table');
const JobId = z.string().regex(jobIdPattern, 'must be a job id like job_ab12cd34ef56');

const SubmitSchema = z.object({
  ...Connection,
  workingDir: z.string().min(1).optional(),
  exclude: z.array(z.string().min(1)).default([]),
  env: z
    .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*=/, 'must be KEY=VALUE'))
    .default([])
    .transform((pairs) =>
      Object.fromEntries(pairs.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])),
    ),
  jobId: JobId.optional(),
  maxPackageMb: z.coerce.number().positive().optional(),
  wait: z.boolean().default(true),
  entrypoint: z.array(z.string().min(1)).min(1, 'give the command to run after --, e.g. -- npx tsx train.ts'),
});
const JobCommandSchema = z.object({
  ...Connection,
  jobId: JobId,
  format: Format,
  follow: z.boolean().optional(),
});
const ListSchema = z.object({ ...Connection, format: Format });

const collect = (value: string, previous: string[]) => [...previous, value];

function withConnection(command: Command): Command {
  return command
    .option(
      '--address <url>',
      'nats:// URL of the cluster (default: MANTA_ADDRESS or the latest local cluster)',
    )
    .option('--token <token>', 'the cluster token (default: MANTA_TOKEN or the local cluster file)');
}

async function connectTo(resolveCluster: ClusterResolver, options: { address?: string; token?: string }) {
  const { address, token } = resolveCluster(options);
  return connect({ servers: parseServers(address), token, timeout: 5000, maxReconnectAttempts: 10 });
}

async function using<T>(
  resolveCluster: ClusterResolver,
  options: { address?: string; token?: string },
  body: (nc: NatsConnection) => Promise<T>,
): Promise<T> {
  const nc = await connectTo(resolveCluster, options);
  try {
    return await body(nc);
  } finally {
    await nc.close();
  }
}

/** `manta job submit|status|logs|stop|list`. */
export function registerJobCommands(program: Command, resolveCluster: ClusterResolver): void {
  const job = program
    .command('job')
    .description('submit a program to run on the cluster, and follow, inspect or stop it');

  withConnection(job.command('submit'))
    .description('package --working-dir, run the entrypoint on the head, stream its output')
    .argument('<entrypoint...>', 'the command to run, after --: e.g. -- npx tsx train.ts')
    .option('--working-dir <dir>', 'folder to package and run the entrypoint in (on every node)')
    .option('--exclude <pattern>', 'a .gitignore-style pattern to leave out (repeatable)', collect, [])
    .option('--env <KEY=VALUE>', 'an environment variable for the entrypoint (repeatable)', collect, [])
    .option('--job-id <id>', 'the job id (default: generated)')
    .option('--max-package-mb <n>', 'largest working dir to package, in MiB (default 100)')
    .option('--no-wait', 'print the job id and return at once')
    .action(async (entrypoint: string[], raw: Record<string, unknown>) => {
      const options = parseConfig(SubmitSchema, { ...raw, entrypoint }, 'manta job submit');
      const { getJob, submitJob } = await client();
      const { readJobLogs } = await logs();
      await using(resolveCluster, options, async (nc) => {
        const submitted = await submitJob(nc, {
          entrypoint: options.entrypoint,
          workingDir: options.workingDir,
          excludes: options.exclude,
          env: options.env,
          jobId: options.jobId,
          maxPackageBytes:
            options.maxPackageMb === undefined ? undefined : Math.round(options.maxPackageMb * 1024 * 1024),
        });
        const pkg = submitted.package;
        if (!options.wait) {
          process.stdout.write(`${submitted.jobId}\n`);
          return;
        }
        process.stderr.write(
          `manta: submitted job ${submitted.jobId}` +
            (pkg
              ? ` (working dir: ${pkg.files} files, ${pkg.bytes} bytes, package ${pkg.hash.slice(0, 12)}` +
                `${pkg.uploaded ? ' uploaded' : ' already in the cluster'})`
              : '') +
            '\n',
        );
        await readJobLogs(nc, submitted.jobId, writeChunk, { follow: true });
        const record = await getJob(nc, submitted.jobId);
        process.stderr.write(`manta: job ${record.jobId} ${record.status}${describeEnd(record)}\n`);
        process.exitCode = record.status === 'SUCCEEDED' ? 0 : record.exitCode || 1;
      });
    });

  withConnection(job.command('status'))
    .description("a job's status, times, exit code and node")
    .argument('<jobId>')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (jobId: string, raw: Record<string, unknown>) => {
      const options = parseConfig(JobCommandSchema, { ...raw, jobId }, 'manta job status');
      const { getJob } = await client();
      const record = await using(resolveCluster, options, (nc) => getJob(nc, options.jobId));
      process.stdout.write(
        options.format === 'json' ? `${JSON.stringify(record, null, 2)}\n` : `${formatJob(record)}\n`,
      );
    });

  withConnection(job.command('logs'))
    .description("a job's output so far (--follow: until it ends)")
    .argument('<jobId>')
    .option('-f, --follow', 'keep streaming until the job ends')
    .action(async (jobId: string, raw: Record<string, unknown>) => {
      const options = parseConfig(JobCommandSchema, { ...raw, jobId }, 'manta job logs');
      const { getJob } = await client();
      const { readJobLogs } = await logs();
      await using(resolveCluster, options, async (nc) => {
        await getJob(nc, options.jobId); // a clear error for an unknown id
        await readJobLogs(nc, options.jobId, writeChunk, { follow: options.follow });
      });
    });

  withConnection(job.command('stop'))
    .description('stop a job: SIGTERM to its process group, SIGKILL after 3 s')
    .argument('<jobId>')
    .action(async (jobId: string, raw: Record<string, unknown>) => {
      const options = parseConfig(JobCommandSchema, { ...raw, jobId }, 'manta job stop');
      const { stopJob } = await client();
      const record = await using(resolveCluster, options, (nc) => stopJob(nc, options.jobId));
      process.stdout.write(`job ${record.jobId} ${record.status}${describeEnd(record)}\n`);
    });

  withConnection(job.command('list'))
    .description('every job of the cluster')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
    .action(async (raw: Record<string, unknown>) => {
      const options = parseConfig(ListSchema, raw, 'manta job list');
      const { listJobs } = await client();
      const jobs = await using(resolveCluster, options, listJobs);
      process.stdout.write(
        options.format === 'json' ? `${JSON.stringify(jobs, null, 2)}\n` : `${jobsTable(jobs)}\n`,
      );
    });
}

function writeChunk(stream: 'stdout' | 'stderr', data: Uint8Array): void {
  (stream === 'stderr' ? process.stderr : process.stdout).write(data);
}

function describeEnd(record: JobRecord): string {
  return record.message ? ` (${record.message})` : '';
}

/** Jobs as a table (for `manta job list` and `manta list jobs`). */
export function jobsTable(jobs: JobRecord[]): string {
  return table(
    ['JOB', 'STATUS', 'ENTRYPOINT', 'SUBMITTED', 'DURATION', 'EXIT', 'NODE'],
    jobs.map((j) => [
      j.jobId,
      j.status,
      shorten(j.entrypoint.join(' '), 40),
      j.submittedAt,
      duration(j),
      j.exitCode === undefined || j.exitCode === null ? '' : String(j.exitCode),
      j.nodeId ?? '',
    ]),
  );
}

function formatJob(j: JobRecord): string {
  const rows: [string, string | undefined][] = [
    ['Job', j.jobId],
    ['Status', j.status + describeEnd(j)],
    ['Entrypoint', j.entrypoint.join(' ')],
    ['Package', j.package && `${j.package.hash} (${j.package.files} files, ${j.package.bytes} bytes)`],
    ['Submitted', j.submittedAt],
    ['Started', j.startTime],
    ['Ended', j.endTime],
    ['Duration', duration(j)],
    ['Exit code', j.exitCode === undefined || j.exitCode === null ? undefined : String(j.exitCode)],
    ['Signal', j.signal ?? undefined],
    ['Node', j.nodeId && `${j.nodeId} (${j.hostname}), pid ${j.pid ?? '-'}`],
  ];
  return rows
    .filter(([, v]) => v)
    .map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`)
    .join('\n');
}

function duration(j: JobRecord): string {
  if (!j.startTime) return '';
  const ms = (j.endTime ? Date.parse(j.endTime) : Date.now()) - Date.parse(j.startTime);
  return `${(ms / 1000).toFixed(1)}s`;
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
