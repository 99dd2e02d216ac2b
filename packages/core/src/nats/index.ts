export {
  freePort,
  generateToken,
  natsServerBinary,
  NatsServerNotFoundError,
  startNatsServer,
  type NatsServerHandle,
  type NatsServerOptions,
} from './server.ts';
export { FrameError, maxFrameBytes, publishFramed, Reassembler } from './frames.ts';
export { serve, type ServeOptions } from './serve.ts';
