export { createCollectiveGroup } from './create.ts';
export { segmentOf } from './segments.ts';
export { DEFAULT_TRANSPORT, TRANSPORTS } from './transports.ts';
export { fromHalfBits, toHalfBits } from './fp16.ts';
export {
  Compression,
  Dtype,
  ReduceOp,
  type AllReduceAlgorithm,
  type AllReduceManyOptions,
  type CollectiveArray,
  type CollectiveGroup,
  type CollectiveGroupOptions,
  type TransportName,
} from './types.ts';
