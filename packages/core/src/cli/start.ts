import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { forgetDaemon, listDaemons, runDaemon } from '../cluster/daemon.ts';
import { sessionsRoot } from '../cluster/session.ts';
import { parseConfig } from '../config/index.ts';
import { isLoopbackHost } from '../dashboard/security.ts';
import { generateToken, NatsAddressSchema } from '../nats/index.ts';
import { detectResources } from '../node/index.ts';

const StartSchema = z
  .object({
    head: z.boolean().optional(),
    /** One nats:// URL, or every server of a NATS cluster, comma-separated (any one of them works). */
    address: NatsAddressSchema.optional(),
    natsCluster: z.boolean().optional(),
    token: z.string().min(8, 'must be at least 8 characters').optional(),
    host: z.string(),
    port: z.coerce.number().int().min(1).max(65535).optional(),
    numCpus: z.coerce.number().min(0).optional(),
    numGpus: z.coerce.number().int().min(0).optional(),
    resources: z.string().optional(),
    block: z.boolean().optional(),
    node: z.boolean().optional(),
    dashboardPort: z.coerce.number().int().min(0).max(65535).optional(),
    dashboardHost: z.string().min(1).optional(),
    driverTimeout: z.coerce.number().positive().max(86_400).optional(),
  })
  .refine((o) => o.head || o.address, {
    message: 'give --head to start a head, or --address (and --token) to join one',
  })
  .refine((o) => !o.natsCluster || (o.head && !o.address), {
    message: '--nats-cluster starts a new NATS cluster for a head: give it with --head and without --address',
    path: ['natsCluster'],
  })
  .refine((o) => (o.head && !o.address) || o.token, {
    message: '--token is required to join a cluster, or to run a head on an existing NATS server',
    path: ['token'],
  })
  .refine((o) => o.head || o.dashboardPort === undefined, {
    message: 'the dashboard runs on the head: give --head with --dashboard-port',
    path: ['dashboardPort'],
  })
  .refine((o) => o.head || o.driverTimeout === undefined, {
    message: 'the head watches drivers: give --head with --driver-timeout',
    path: ['driverTimeout'],
  })
  .refine((o) => o.dashboardPort !== undefined || o.dashboardHost === undefined, {
    message: '--dashboard-host needs --dashboard-port',
    path: ['dashboardHost'],
  });

export async function parseStartOptions(raw: Record<string, unknown>): Promise<void> {
  // A daemon started by `manta start` gets its token through the environment, never argv (ps shows argv).
  const options = parseConfig(
    StartSchema,
    { ...raw, token: raw.token ?? process.env.MANTA_START_TOKEN },
    'manta start',
  );
  const resources = { ...detectResources() };
  if (options.numCpus !== undefined) resources.CPU = options.numCpus;
  if (options.numGpus !== undefined) resources.GPU = options.numGpus;
  if (options.resources)
    Object.assign(
      resources,
      parseConfig(
        z.record(z.string(), z.number().nonnegative()),
        JSON.parse(options.resources),
        '--resources',
      ),
    );
  const token = options.token ?? generateToken();
  if (options.block) {
    const record = await runDaemon({
      head: Boolean(options.head),
      address: options.address,
      natsCluster: options.natsCluster,
      host: options.host,
      port: options.port,
      token,
      resources,
      node: options.node,
      driverTimeoutMs: options.driverTimeout === undefined ? undefined : options.driverTimeout * 1000,
      dashboard:
        options.dashboardPort === undefined
          ? undefined
          : { host: options.dashboardHost ?? '127.0.0.1', port: options.dashboardPort },
    });
    process.stdout.write(`${JSON.stringify(record)}\n`);
    return; // keeps running until SIGTERM
  }
  // Re-run ourselves in the foreground mode, detached, and report once it is up.
  const args = [
    fileURLToPath(new URL('../../bin/manta.mjs', import.meta.url)),
    'start',
    '--block',
    '--host',
    options.host,
  ];
  if (options.head) args.push('--head');
  if (options.natsCluster) args.push('--nats-cluster');
  if (options.address) args.push('--address', options.address);
  if (options.node === false) args.push('--no-node');
  if (options.port) args.push('--port', String(options.port));
  args.push('--num-cpus', String(resources.CPU), '--num-gpus', String(resources.GPU ?? 0));
  if (options.resources) args.push('--resources', options.resources);
  if (options.dashboardPort !== undefined) args.push('--dashboard-port', String(options.dashboardPort));
  if (options.dashboardHost) args.push('--dashboard-host', options.dashboardHost);
  if (options.driverTimeout !== undefined) args.push('--driver-timeout', String(options.driverTimeout));
  // The daemon's stderr goes to a file: inheriting ours would hold the caller's pipes open.
  mkdirSync(sessionsRoot(), { recursive: true, mode: 0o700 });
  const errorLog = join(sessionsRoot(), `daemon-${Date.now()}.err`);
  const child = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', openSync(errorLog, 'a', 0o600)],
    env: { ...process.env, MANTA_START_TOKEN: token },
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.once('exit', (code) =>
      reject(new Error(`manta start failed (exit ${code}):\n${readFileSync(errorLog, 'utf8').slice(-2000)}`)),
    );
  });
  child.stdout!.destroy();
  child.unref();
  const record = JSON.parse(line) as { address: string; role: string; nodeId: string; dashboardUrl?: string };
  if (record.role === 'head') {
    process.stdout.write(
      `Started the Manta head at ${record.address}${options.node === false ? ' (no node)' : ` (node ${record.nodeId})`}.\n` +
        `Token: ${token}\n` +
        `Join a node:   manta start --address ${record.address} --token ${token}\n` +
        `Use it:        init({ address: '${record.address}', token: process.env.MANTA_TOKEN })\n` +
        (record.dashboardUrl
          ? `Dashboard:     ${record.dashboardUrl}` +
            (isLoopbackHost(options.dashboardHost ?? '127.0.0.1') ? '\n' : ' (log in with the token)\n')
          : ''),
    );
  } else {
    process.stdout.write(`Started node ${record.nodeId}, joined to ${record.address}.\n`);
  }
}

export async function stopAll(): Promise<void> {
  const daemons = listDaemons();
  for (const daemon of daemons) {
    try {
      process.kill(daemon.pid, 'SIGTERM');
      process.stdout.write(`stopped ${daemon.role} ${daemon.nodeId} (pid ${daemon.pid})\n`);
    } catch {
      forgetDaemon(daemon.pid);
    }
  }
  if (daemons.length === 0) process.stdout.write('nothing to stop\n');
}
