import { Command, Option } from 'commander';
import { connect } from 'nats';
import { readLatestClusterInfo } from '../cluster/index.ts';
import type { ClusterStatus } from '../head/index.ts';
import { request, Subjects } from '../protocol/index.ts';
import { formatStatus, listRows } from './format.ts';

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
    const nc = await connect({ servers: address, token, reconnect: false, timeout: 5000 });
    try {
      const status = await request<ClusterStatus>(nc, Subjects.status, {}, 5000);
      process.stdout.write(
        options.format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`,
      );
    } finally {
      await nc.close();
    }
  });

const LISTABLE = ['nodes', 'actors', 'placement-groups'] as const;

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
    const nc = await connect({ servers: address, token, reconnect: false, timeout: 5000 });
    try {
      const status = await request<ClusterStatus>(nc, Subjects.status, {}, 5000);
      const rows = listRows(status, what as (typeof LISTABLE)[number]);
      process.stdout.write(
        options.format === 'json' ? `${JSON.stringify(rows.json, null, 2)}\n` : `${rows.table}\n`,
      );
    } finally {
      await nc.close();
    }
  });

interface StartOptions extends ConnectionOptions {
  head?: boolean;
  host: string;
  port?: string;
  numCpus?: string;
  numGpus?: string;
  resources?: string;
  block?: boolean;
}

program
  .command('start')
  .description('start a head (--head) or a node joining one (--address), in the background')
  .option('--head', 'start the head: nats-server, head services and a node')
  .option('--address <url>', 'the head to join (a node)')
  .option('--token <token>', 'cluster token (generated for a new head when omitted; required to join)')
  .option('--host <host>', 'interface the head binds (loopback unless told otherwise)', '127.0.0.1')
  .option('--port <port>', 'NATS port of the head (default: a free port)')
  .option('--num-cpus <n>', 'CPUs this node offers (default: all)')
  .option('--num-gpus <n>', 'GPUs this node offers (default: detected)')
  .option('--resources <json>', 'custom resources, e.g. \'{"bigmem":1}\'')
  .option('--block', 'stay in the foreground')
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

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`manta: ${(error as Error).message}\n`);
  process.exit(1);
});
