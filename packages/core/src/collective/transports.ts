/**
 * The registry of collective transports, one file each.
 *
 * Default: 'tcp'. The benchmark (bench/src/suites/collective.ts) measures both in one run. On
 * the 2-core loopback machine (2026-11-23, shared with other jobs, so noisy), two full runs of
 * ring all-reduce of 64 MB float32 took 253 / 412 ms over TCP vs 646 / 720 ms over NATS at N=2,
 * and 1572 / 724 ms vs 2910 / 2095 ms at N=4; raw point-to-point throughput was 0.57-0.72 GB/s
 * for one TCP socket vs 0.11-0.25 GB/s for one NATS subject.
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
