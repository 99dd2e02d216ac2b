export { ActorTrialExecutor, type ActorTrialExecutorOptions } from './executor.ts';
export { TrialMessageSchema, trialSubject } from './protocol.ts';
export {
  type TrainableMeta,
  type TrialResources,
  trainable,
  trainableMeta,
  withResources,
} from './trainable.ts';
