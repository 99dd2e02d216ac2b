/**
 * Collective communication for data-parallel training (Horovod / NCCL style) over NATS:
 *
 *   const group = await createCollectiveGroup({ nc, group: 'run-7', rank, worldSize });
 *   await group.allReduce(grads, 'mean');            // in place, bit-identical on every rank
 *   await group.allReduceMany(gradList, 'mean');     // fused into <= 25 MB buckets
 *   await group.destroy();
 *
 * Rendezvous and liveness use NATS (`manta.collective.<group>.*`); bulk bytes go over direct
 * TCP sockets by default, or NATS. Only a NATS connection is needed: no Manta runtime.
 */
export { createCollectiveGroup } from './create.ts';
export { fromHalfBits, toHalfBits } from './fp16.ts';
export { segmentOf } from './segments.ts';
export { DEFAULT_TRANSPORT, TRANSPORTS } from './transports.ts';
export {
  type AllReduceAlgorithm,
  type AllReduceManyOptions,
  type CollectiveArray,
  type CollectiveGroup,
  type CollectiveGroupOptions,
  Compression,
  Dtype,
  ReduceOp,
  type TransportName,
} from './types.ts';
