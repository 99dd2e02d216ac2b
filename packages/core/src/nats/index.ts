export {
  freePort,
  generateToken,
  natsServerBinary,
  NatsServerNotFoundError,
  startNatsServer,
  type NatsServerHandle,
  type NatsServerOptions,
} from './server.ts';
