export {
  type ActorClass,
  actor,
  actorState,
  type ClusterConnection,
  clusterStatus,
  embeddedCluster,
  get,
  getActor,
  init,
  isInitialized,
  kill,
  put,
  type RemoteFunction,
  remote,
  shutdown,
  wait,
} from './api.ts';
export type { ActorHandle } from './handles.ts';
export { isMainModule, isWorkerProcess } from './main-module.ts';
export type { ActorOptions, InitOptions, RemoteOptions } from './options.ts';
export { currentRuntime, Runtime } from './runtime.ts';
