import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { forgetDaemon, listDaemons, runDaemon } from '../cluster/daemon.ts';
import { sessionsRoot } from '../cluster/session.ts';
import { parseConfig } from '../config/index.ts';
import { generateToken } from '../nats/index.ts';
import { detectResources } from '../node/index.ts';

const StartSchema = z
  .object({
    head: z.boolean().optional(),
    address: z
      .string()
      .regex(/^nats:\/\//, 'must be a nats:// URL')
      .optional(),
    token: z.string().min(8, 'must be at least 8 characters').optional(),
    host: z.string(),
    port: z.coerce.number().int().min(1).max(65535).optional(),
    numCpus: z.coerce.number().min(0).optional(),
    numGpus: z.coerce.number().int().min(0).optional(),
    resources: z.string().optional(),
    block: z.boolean().optional(),
  })
  .refine((o) => o.head || o.address, {
    message: 'give --head to start a head, or --address (and --token) to join one',
  })
  .refine((o) => o.head || o.token, { message: '--token is required to join a cluster', path: ['token'] });

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
      host: options.host,
      port: options.port,
      token,
      resources,
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
  if (options.address) args.push('--address', options.address);
  if (options.port) args.push('--port', String(options.port));
  args.push('--num-cpus', String(resources.CPU), '--num-gpus', String(resources.GPU ?? 0));
  if (options.resources) args.push('--resources', options.resources);
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
  const record = JSON.parse(line) as { address: string; role: string; nodeId: string };
  if (record.role === 'head') {
    process.stdout.write(
      `Started the Manta head at ${record.address} (node ${record.nodeId}).\n` +
        `Token: ${token}\n` +
        `Join a node:   manta start --address ${record.address} --token ${token}\n` +
        `Use it:        init({ address: '${record.address}', token: process.env.MANTA_TOKEN })\n`,
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
