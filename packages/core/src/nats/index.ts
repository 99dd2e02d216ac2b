export { FrameError, maxFrameBytes, publishFramed, Reassembler } from './frames.ts';
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
