/**
 * The registry of collective transports, one file each.
 *
 * Default: 'tcp'. The benchmark (bench/src/suites/collective.ts) measures both on the same run;
 * direct sockets between ranks carry each byte once (kernel to kernel, no copy through a broker
 * process, no per-message subject routing), and on loopback here ring all-reduce over TCP ran
 * several times faster than over NATS at every size measured (1-64 MB, N = 2 and 4). NATS stays
 * useful where ranks cannot open ports to each other: it needs only the connection they already have.
 */
import { ConfigError } from '../errors/index.ts';
import { natsTransport } from './transport-nats.ts';
import { tcpTransport } from './transport-tcp.ts';
import type { TransportConfig, TransportName } from './types.ts';

export const TRANSPORTS: Record<TransportName, TransportConfig> = {
  tcp: tcpTransport,
  nats: natsTransport,
};

export const DEFAULT_TRANSPORT: TransportName = 'tcp';

export function transportFor(name: string): TransportConfig {
  const config = (TRANSPORTS as Record<string, TransportConfig | undefined>)[name];
  if (!config) throw new ConfigError(`Unknown collective transport "${name}"; known: ${Object.keys(TRANSPORTS).join(', ')}`);
  return config;
}
