import { Command, Option } from 'commander';
import { connect } from 'nats';
import { readLatestClusterInfo } from '../cluster/index.ts';
import type { ClusterStatus } from '../head/index.ts';
import { request, Subjects } from '../protocol/index.ts';
import { formatStatus } from './format.ts';

const program = new Command('manta').description('Manta: distributed training and tuning on Node.js over NATS');

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
    throw new Error('no cluster found: pass --address and --token, set MANTA_ADDRESS, or start one on this machine');
  }
  return { address: latest.address, token: options.token ?? latest.token };
}

program
  .command('status')
  .description('nodes, resources (used/total), live actors and pending demands of a cluster')
  .option('--address <url>', 'nats:// URL of the cluster (default: the latest cluster started on this machine)')
  .option('--token <token>', 'the cluster token (default: MANTA_TOKEN or the local cluster file)')
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'json']).default('table'))
  .action(async (options: ConnectionOptions & { format: 'table' | 'json' }) => {
    const { address, token } = resolveCluster(options);
    const nc = await connect({ servers: address, token, reconnect: false, timeout: 5000 });
    try {
      const status = await request<ClusterStatus>(nc, Subjects.status, {}, 5000);
      process.stdout.write(options.format === 'json' ? `${JSON.stringify(status, null, 2)}\n` : `${formatStatus(status)}\n`);
    } finally {
      await nc.close();
    }
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`manta: ${(error as Error).message}\n`);
  process.exit(1);
});
