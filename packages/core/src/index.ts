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
export { parseConfig } from './config/index.ts';
