export {
  type NatsClusterHandle,
  type NatsClusterMember,
  type NatsClusterOptions,
  startNatsCluster,
} from './cluster.ts';
export {
  connectNats,
  formatAddress,
  type MantaConnectOptions,
  type NatsAddress,
  NatsAddressSchema,
  parseServers,
  RECONNECT_OPTIONS,
} from './connect.ts';
export { Disruptions, disruptions, retryOnDisruption } from './disruptions.ts';
export { FrameError, maxFrameBytes, publishFramed, Reassembler } from './frames.ts';
export { Sequencer } from './sequencer.ts';
export { type ServeOptions, serve } from './serve.ts';
export {
  freePort,
  generateToken,
  type NatsServerHandle,
  NatsServerNotFoundError,
  type NatsServerOptions,
  natsServerBinary,
  startNatsServer,
} from './server.ts';
