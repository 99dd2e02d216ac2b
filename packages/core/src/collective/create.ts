/**
 * createCollectiveGroup: validate options, open the transport's listener, rendezvous over NATS,
 * connect the transport and start heartbeats. Needs only a NATS connection: no Manta runtime.
 */
import { CollectiveError } from '../errors/index.ts';
import { CollectiveGroupImpl } from './group.ts';
import { Liveness } from './liveness.ts';
import { parseGroupOptions } from './options.ts';
import { rendezvous } from './rendezvous.ts';
import { newSessionId } from './transport-tcp.ts';
import { DEFAULT_TRANSPORT, transportFor } from './transports.ts';
import type { CollectiveGroup, CollectiveGroupOptions, Transport } from './types.ts';

export async function createCollectiveGroup(options: CollectiveGroupOptions): Promise<CollectiveGroup> {
  const o = parseGroupOptions(options);
  const transportName = o.transport ?? DEFAULT_TRANSPORT;
  const group = new CollectiveGroupImpl({
    group: o.group,
    rank: o.rank,
    worldSize: o.worldSize,
    transport: transportName,
    compression: o.compression,
    timeoutMs: o.timeoutMs,
    chunkBytes: o.chunkBytes,
  });
  const prepared = await transportFor(transportName).prepare({
    nc: o.nc,
    group: o.group,
    rank: o.rank,
    worldSize: o.worldSize,
    host: o.host,
    events: {
      onFrame: (frame) => group.onFrame(frame),
      onPeerLost: (rank, reason) => group.onPeerLost(rank, reason),
      sinkFor: (head, length) => group.sinkFor(head, length),
    },
  });
  let wire: Transport;
  try {
    const roster = await rendezvous(
      o.nc,
      o.group,
      {
        rank: o.rank,
        worldSize: o.worldSize,
        transport: transportName,
        compression: o.compression,
        address: prepared.address,
      },
      newSessionId(),
      o.timeoutMs,
    );
    wire = await prepared.connect(roster.addresses, roster.session, o.timeoutMs);
  } catch (error) {
    await prepared.abandon();
    if (error instanceof CollectiveError) throw error;
    throw new CollectiveError(
      o.group,
      `Could not form group '${o.group}': ${(error as Error).message}`,
      o.rank,
      { cause: error },
    );
  }
  const interval = Math.max(50, Math.min(1000, Math.floor(o.timeoutMs / 5)));
  group.attach(wire, new Liveness(o.nc, o.group, o.rank, o.worldSize, o.timeoutMs, interval));
  return group;
}
