import { Command, Option } from 'commander';
import { connect } from 'nats';
import { readLatestClusterInfo } from '../cluster/index.ts';
import { findDashboard } from '../dashboard/index.ts';
import type { ClusterStatus, TaskList } from '../head/index.ts';
import { jobsTable, registerJobCommands } from '../job/cli.ts';
import { parseServers } from '../nats/index.ts';
import { request, Subjects } from '../protocol/index.ts';
import { formatStatus, listRows, taskRows } from './format.ts';

const program = new Command('manta').description(
  'Manta: distributed training and tuning on Node.js over NATS',
);

interface ConnectionOptions {
  address?: string;
  token?: string;
}

/** The cluster to talk to: --address/--token, MANTA_ADDRESS/MANTA_TOKEN, or the latest one started here. */
function resolveCluster(options: ConnectionOptions): { address: string; token?: string } {
  const address = options.address ?? process.env.MANTA_ADDRESS;
  if (address) return { address, token: options.token ?? process.env.MANTA_TOKEN };
  const latest = readLatestClusterInfo();
  if (!latest) {
    throw new Error(
      'no cluster found: pass --address and --token, set MANTA_ADDRESS, or start one on this machine',
    );
  }
  return { address: latest.address, token: options.token ?? latest.token };
}

program
  .command('status')
  .description('nodes, resources (used/total), live actors and pending demands of a cluster')
  .option(
    '--address <url>',
    'nats:// URL of the cluster (default: the latest cluster started on this machine)',
  )
  .option('--token <token>', 'the cluster token (default: MANTA_TOKEN or the local cluster file)')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (options: ConnectionOptions & { format: 'table' | 'json' }) => {
    const { address, token } = resolveCluster(options);
    const nc = await connect({ servers: parseServers(address), token, reconnect: false, timeout: 5000 });
    try {
      const status = await request<ClusterStatus>(nc, Subjects.status, {}, 5000);
      const dashboard = await findDashboard(nc);
      process.stdout.write(
        options.format === 'json'
          ? `${JSON.stringify(dashboard ? { ...status, dashboard } : status, null, 2)}\n`
          : `${dashboard ? `Dashboard: ${dashboard.url}\n\n` : ''}${formatStatus(status)}\n`,
      );
    } finally {
      await nc.close();
    }
  });

const LISTABLE = ['nodes', 'actors', 'placement-groups', 'tasks', 'jobs'] as const;

program
  .command('list')
  .description(`list ${LISTABLE.join(', ')} of a cluster`)
  .argument('<what>', LISTABLE.join(' | '))
  .option(
    '--address <url>',
    'nats:// URL of the cluster (default: the latest cluster started on this machine)',
  )
  .option('--token <token>', 'the cluster token')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (what: string, options: ConnectionOptions & { format: 'table' | 'json' }) => {
    if (!(LISTABLE as readonly string[]).includes(what)) {
      throw new Error(`cannot list '${what}': choose one of ${LISTABLE.join(', ')}`);
    }
    const { address, token } = resolveCluster(options);
    const nc = await connect({ servers: parseServers(address), token, reconnect: false, timeout: 5000 });
    try {
      let rows: { json: unknown; table: string };
      if (what === 'tasks') {
        rows = taskRows(await request<TaskList>(nc, Subjects.listTasks, {}, 5000));
      } else if (what === 'jobs') {
        const { listJobs } = await import('../job/client.ts');
        const jobs = await listJobs(nc);
        rows = { json: jobs, table: jobsTable(jobs) };
      } else {
        const status = await request<ClusterStatus>(nc, Subjects.status, {}, 5000);
        rows = listRows(status, what as 'nodes' | 'actors' | 'placement-groups');
      }
      process.stdout.write(
        options.format === 'json' ? `${JSON.stringify(rows.json, null, 2)}\n` : `${rows.table}\n`,
      );
    } finally {
      await nc.close();
    }
  });

interface StartOptions extends ConnectionOptions {
  head?: boolean;
  natsCluster?: boolean;
  node?: boolean;
  host: string;
  port?: string;
  numCpus?: string;
  numGpus?: string;
  resources?: string;
  block?: boolean;
  dashboardPort?: string;
  dashboardHost?: string;
  driverTimeout?: string;
}

program
  .command('start')
  .description('start a head (--head) or a node joining one (--address), in the background')
  .option('--head', 'start the head: nats-server, head services and a node')
  .option(
    '--nats-cluster',
    'with --head: start a local 3-server NATS cluster, which goes on when one server dies',
  )
  .option('--address <url>', 'the cluster to join (a node); with --head: the NATS server to run the head on')
  .option('--no-node', 'with --head: run no node agent in this process, so the head can restart alone')
  .option('--token <token>', 'cluster token (generated for a new head when omitted; required to join)')
  .option('--host <host>', 'interface the head binds (loopback unless told otherwise)', '127.0.0.1')
  .option('--port <port>', 'NATS port of the head (default: a free port)')
  .option('--num-cpus <n>', 'CPUs this node offers (default: all)')
  .option('--num-gpus <n>', 'GPUs this node offers (default: detected)')
  .option('--resources <json>', 'custom resources, e.g. \'{"bigmem":1}\'')
  .option('--block', 'stay in the foreground')
  .option(
    '--driver-timeout <seconds>',
    'head only: a driver that joined on its own and is silent this long is gone, and what it started stops (default 30)',
  )
  .option('--dashboard-port <port>', 'serve the read-only dashboard on this port (head only; 0: a free port)')
  .option(
    '--dashboard-host <host>',
    'interface of the dashboard (default 127.0.0.1); any other asks for the cluster token',
  )
  .action(async (options: StartOptions) => {
    const { parseStartOptions } = await import('./start.ts');
    await parseStartOptions({ ...options });
  });

program
  .command('stop')
  .description('stop every head and node that `manta start` started on this machine')
  .action(async () => {
    const { stopAll } = await import('./start.ts');
    await stopAll();
  });

registerJobCommands(program, resolveCluster);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`manta: ${(error as Error).message}\n`);
  process.exit(1);
});
