export {
  type CollectiveArray,
  type CollectiveGroup,
  type CollectiveGroupOptions,
  Compression,
  createCollectiveGroup,
  ReduceOp,
  type TransportName,
} from './collective/index.ts';
export {
  ActorDiedError,
  CollectiveError,
  ConfigError,
  FunctionNotFoundError,
  GetTimeoutError,
  InfeasibleResourcesError,
  MantaError,
  ObjectLostError,
  RuntimeStateError,
  TaskError,
  WorkerCrashedError,
} from './errors/index.ts';
export { NatsServerNotFoundError } from './nats/index.ts';
export { ObjectRef } from './object/index.ts';
export { PlacementGroup, PlacementStrategy, placementGroup } from './placement/index.ts';
export {
  type ActorClass,
  type ActorHandle,
  type ActorOptions,
  actor,
  actorState,
  type ClusterConnection,
  clusterStatus,
  get,
  getActor,
  type InitOptions,
  init,
  isInitialized,
  isMainModule,
  kill,
  put,
  type RemoteFunction,
  type RemoteOptions,
  remote,
  shutdown,
  wait,
} from './runtime/index.ts';
