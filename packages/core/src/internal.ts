// Sibling-package face of @manta/core: parts that @manta/data, @manta/train and @manta/tune
// (and the integration tests) use but that are not part of the user API.
export { decode, encode } from './codec/index.ts';
export { parseConfig } from './config/index.ts';
export { registerDefinition } from './function/index.ts';
export { newId } from './head/index.ts';
export {
  getJob,
  type JobRecord,
  JobStatus,
  listJobs,
  readJobLogs,
  stopJob,
  submitJob,
} from './job/index.ts';
export { createLogger, type Logger } from './logging/index.ts';
export {
  freePort,
  generateToken,
  type NatsClusterHandle,
  type NatsServerHandle,
  publishFramed,
  Reassembler,
  serve,
  startNatsCluster,
  startNatsServer,
} from './nats/index.ts';
export type { FunctionDescriptor } from './protocol/index.ts';
export { Subjects } from './protocol/index.ts';
export { embeddedCluster } from './runtime/api.ts';
export { currentRuntime, isWorkerProcess, Runtime } from './runtime/index.ts';
export { loadDefinition } from './worker/load.ts';
