/**
 * The registry of collective transports, one file each.
 *
 * Default: 'tcp'. The benchmark (bench/src/suites/collective.ts) measures both in one run; the
 * figures and the reasoning are in the collective section of packages/core/README.md (raw
 * point-to-point on loopback: 3.6-4 GB/s for one TCP socket read with `onread`, ~0.3-0.4 GB/s
 * for one NATS subject).
 * Direct sockets carry each byte once, kernel to kernel; NATS copies every byte through the
 * server process and is limited to ~1 MB messages. NATS stays useful where ranks cannot open
 * ports to each other: it needs only the connection they already have.
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
  if (!config)
    throw new ConfigError(
      `Unknown collective transport "${name}"; known: ${Object.keys(TRANSPORTS).join(', ')}`,
    );
  return config;
}
