import { z } from 'zod';
import type { WireError } from '../codec/index.ts';

/**
 * Every message shape on the wire, validated on receipt (see nats/serve.ts). Bounded sizes
 * keep a hostile message from asking for absurd work.
 */
/** An id on the wire (task, actor, node, worker, job, ...). */
export const IdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/);
const id = IdSchema;
const bytes = z.instanceof(Uint8Array);
export const ResourcesSchema = z.record(z.string().min(1).max(64), z.number().finite().nonnegative());
export type Resources = z.infer<typeof ResourcesSchema>;

export const FunctionDescriptorSchema = z.object({
  module: z.string().min(1).max(4096),
  key: z.string().min(1).max(256),
  name: z.string().max(256),
  /** Set when the module is in a job's package: workers load it from their own copy (job/module-map.ts). */
  pkg: z
    .object({
      hash: z.string().regex(/^[0-9a-f]{64}$/),
      root: z.string().min(1).max(4096),
    })
    .optional(),
});
export type FunctionDescriptor = z.infer<typeof FunctionDescriptorSchema>;

const WireErrorSchema: z.ZodType<WireError> = z.lazy(() =>
  z.object({
    name: z.string().max(1024),
    message: z.string().max(1 << 20),
    code: z.string().max(128).optional(),
    stack: z
      .string()
      .max(1 << 20)
      .optional(),
    cause: WireErrorSchema.optional(),
    fields: z.record(z.string(), z.unknown()).optional(),
  }),
);

export const PlacementSchema = z.object({ groupId: id, bundleIndex: z.number().int().min(-1) });

export const PlacementGroupCreateSchema = z.object({
  groupId: id,
  bundles: z.array(ResourcesSchema).min(1).max(10_000),
  strategy: z.enum(['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD']),
  name: z.string().min(1).max(256).optional(),
});
export const PlacementGroupIdSchema = z.object({ groupId: id });

export const TaskSpecSchema = z.object({
  taskId: id,
  owner: id,
  fn: FunctionDescriptorSchema,
  args: bytes,
  /** Indexes of top-level arguments that are ObjectRefs the worker must resolve before the call. */
  resolveArgs: z.array(z.number().int().min(0)).max(1024),
  resources: ResourcesSchema,
  maxRetries: z.number().int().min(-1),
  attempt: z.number().int().min(0),
  placement: PlacementSchema.optional(),
  /** The submitted job this task belongs to (it ends with the job). */
  jobId: id.optional(),
});
export type TaskSpec = z.infer<typeof TaskSpecSchema>;

export const ActorSpecSchema = z.object({
  actorId: id,
  owner: id,
  cls: FunctionDescriptorSchema,
  args: bytes,
  resolveArgs: z.array(z.number().int().min(0)).max(1024),
  resources: ResourcesSchema,
  maxRestarts: z.number().int().min(-1),
  maxConcurrency: z.number().int().min(1).max(100_000),
  name: z.string().min(1).max(256).optional(),
  placement: PlacementSchema.optional(),
  /** The submitted job this actor belongs to (it dies with the job); absent for detached actors. */
  jobId: id.optional(),
});
export type ActorSpec = z.infer<typeof ActorSpecSchema>;

/** A live worker process a node reports when it (re-)registers, e.g. with a restarted head. */
export const WorkerReportSchema = z.object({ workerId: id, pid: z.number().int() });

export const NodeRegisterSchema = z.object({
  nodeId: id,
  resources: ResourcesSchema,
  hostname: z.string().max(256),
  pid: z.number().int(),
  labels: z.record(z.string(), z.string()).optional(),
  workers: z.array(WorkerReportSchema).max(100_000).optional(),
});
export type NodeRegister = z.infer<typeof NodeRegisterSchema>;

export const NodeHeartbeatSchema = z.object({ nodeId: id, workers: z.number().int().min(0) });

export const WorkerReadySchema = z.object({
  workerId: id,
  nodeId: id,
  pid: z.number().int(),
  /** Sent again after a disruption by a worker with no job: the head re-sends a job it thinks it gave. */
  idle: z.boolean().optional(),
});
export const WorkerExitedSchema = z.object({
  workerId: id,
  nodeId: id,
  code: z.number().int().nullable(),
  signal: z.string().nullable(),
});
export const TaskDoneSchema = z.object({ workerId: id, taskId: id });

/** head -> worker: host an actor (tasks go to the worker's task subject as TaskSpec frames). */
export const WorkerExecSchema = z.object({
  kind: z.literal('actor'),
  spec: ActorSpecSchema,
  incarnation: z.number().int().min(0),
});
export type WorkerExec = z.infer<typeof WorkerExecSchema>;

export const ActorReadySchema = z.object({
  actorId: id,
  workerId: id,
  incarnation: z.number().int().min(0),
  error: WireErrorSchema.optional(),
});

/** worker -> head: what a worker runs, asked by a restarted head (reply to a describe request). */
export const WorkerDescriptionSchema = z.object({
  workerId: id,
  job: z
    .discriminatedUnion('kind', [
      // argsDropped: the spec was too large to reply with, so it went without its arguments.
      z.object({ kind: z.literal('task'), spec: TaskSpecSchema, argsDropped: z.boolean().optional() }),
      z.object({
        kind: z.literal('actor'),
        actorId: id,
        incarnation: z.number().int().min(0),
        status: z.enum(['starting', 'ready', 'failed']),
        error: WireErrorSchema.optional(),
      }),
    ])
    .optional(),
});
export type WorkerDescription = z.infer<typeof WorkerDescriptionSchema>;

/** head -> everyone: a head started (and may be recovering), or finished recovering. */
export const HeadEventSchema = z.object({ epoch: id });

/** owner -> head: which of these submitted tasks does the head know (after a head restart)? */
export const TaskReconcileSchema = z.object({ owner: id, taskIds: z.array(id).max(10_000) });

export const ActorCallSchema = z.object({
  callId: id,
  owner: id,
  method: z.string().min(1).max(256),
  args: bytes,
  resolveArgs: z.array(z.number().int().min(0)).max(1024),
  /**
   * The call's number among this caller's calls to the actor (from 1), and the lowest number
   * the caller still waits on: the actor runs calls in `seq` order, holds ones that arrive
   * early, answers repeats from its cache and drops cached results below `low`.
   */
  seq: z.number().int().min(1).optional(),
  low: z.number().int().min(1).optional(),
});
export type ActorCall = z.infer<typeof ActorCallSchema>;

export const ResultSchema = z.object({
  objectId: id,
  ok: z.boolean(),
  value: bytes.optional(),
  error: WireErrorSchema.optional(),
  /** A short name of what ran, for error messages. */
  name: z.string().max(256),
  /** Whether the failure was a worker crash (retryable) rather than an application error. */
  crashed: z.boolean().optional(),
});
export type ResultMessage = z.infer<typeof ResultSchema>;

export const FetchSchema = z.object({ objectId: id, inbox: z.string().max(256).optional() });

export const ActorState = {
  Pending: 'PENDING',
  Alive: 'ALIVE',
  Restarting: 'RESTARTING',
  Dead: 'DEAD',
} as const;
export type ActorState = (typeof ActorState)[keyof typeof ActorState];

export const ActorEventSchema = z.object({
  actorId: id,
  state: z.enum(['PENDING', 'ALIVE', 'RESTARTING', 'DEAD']),
  incarnation: z.number().int().min(0),
  error: WireErrorSchema.optional(),
  reason: z.string().max(4096).optional(),
});
export type ActorEvent = z.infer<typeof ActorEventSchema>;

export const ActorIdRequestSchema = z.object({ actorId: id });
export const ActorKillSchema = z.object({ actorId: id, noRestart: z.boolean() });
export const JobEndedSchema = z.object({ jobId: id });
/** The job id of a driver that joined the cluster on its own (not a submitted job) starts so. */
export const DRIVER_JOB_PREFIX = 'driver-';
/** A batch of what a worker printed (see worker/output-forwarder.ts). */
export const JobOutputSchema = z.object({
  pid: z.number().int().positive(),
  nodeId: id,
  stream: z.enum(['stdout', 'stderr']),
  text: z.string().max(256 * 1024),
});
export type JobOutput = z.infer<typeof JobOutputSchema>;
/** Only a self-joined driver's job can be ended by its heartbeats stopping. */
export const DriverAliveSchema = z.object({ jobId: id.startsWith(DRIVER_JOB_PREFIX) });
export const ActorLookupSchema = z.object({ name: z.string().min(1).max(256) });
export const EmptySchema = z.object({}).passthrough();

/** Replies to requests: ok with a body, or an error. */
export const ReplySchema = z.object({
  ok: z.boolean(),
  error: WireErrorSchema.optional(),
  body: z.unknown().optional(),
});
export type Reply = z.infer<typeof ReplySchema>;
