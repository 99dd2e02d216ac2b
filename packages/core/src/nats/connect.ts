import { type ConnectionOptions, connect, type NatsConnection } from 'nats';
import { z } from 'zod';
import { MantaError } from '../errors/index.ts';
import { disruptions } from './disruptions.ts';

/** One NATS URL, or several servers of one cluster: an array or a comma-separated string. */
export type NatsAddress = string | readonly string[];

const URL_PATTERN = /^(nats|tls|ws|wss):\/\/[^\s,]+$/;

/** The server URLs of an address; throws a MantaError naming the bad entry. */
export function parseServers(address: NatsAddress): string[] {
  const parts = (typeof address === 'string' ? address.split(',') : [...address])
    .flatMap((part) => part.split(','))
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (parts.length === 0) throw new MantaError('BAD_ADDRESS', 'the NATS address lists no server');
  for (const part of parts) {
    if (!URL_PATTERN.test(part))
      throw new MantaError(
        'BAD_ADDRESS',
        `'${part}' is not a nats:// URL (give nats://host:port[,nats://...])`,
      );
  }
  return parts;
}

/** The canonical text form of an address: its URLs, comma-separated. */
export function formatAddress(address: NatsAddress): string {
  return parseServers(address).join(',');
}

/** Config field for an address (string or array): checked by `parseServers`, normalised by `formatAddress`. */
export const NatsAddressSchema = z
  .union([z.string(), z.array(z.string()).min(1)])
  .superRefine((address, ctx) => {
    try {
      parseServers(address);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  })
  .transform((address) => formatAddress(address));

/**
 * Reconnect policy of every Manta connection: unlimited attempts, a short wait, so a client
 * whose server dies moves to another server of the cluster within a fraction of a second.
 */
export const RECONNECT_OPTIONS = {
  reconnect: true,
  maxReconnectAttempts: -1,
  reconnectTimeWait: 250,
  reconnectJitter: 100,
} as const satisfies ConnectionOptions;

export interface MantaConnectOptions extends Omit<ConnectionOptions, 'servers'> {
  address: NatsAddress;
}

/**
 * Connects to any server of `address` with Manta's reconnect policy, and starts watching the
 * connection for disruptions (see disruptions.ts) so messages lost to a dying server are
 * recovered.
 */
export async function connectNats(options: MantaConnectOptions): Promise<NatsConnection> {
  const { address, ...rest } = options;
  const nc = await connect({ ...RECONNECT_OPTIONS, ...rest, servers: parseServers(address) });
  disruptions(nc);
  return nc;
}
