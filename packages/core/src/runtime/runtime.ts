import { createInbox, type NatsConnection, type Subscription } from 'nats';
import {
  decode,
  ExtensionType,
  encode,
  RemoteError,
  registerExtension,
  taskErrorFromWire,
  type WireError,
} from '../codec/index.ts';
import {
  ActorDiedError,
  FunctionNotFoundError,
  GetTimeoutError,
  InfeasibleResourcesError,
  MantaError,
  ObjectLostError,
  RuntimeStateError,
  WorkerCrashedError,
} from '../errors/index.ts';
import { newId } from '../head/index.ts';
import type { Logger } from '../logging/index.ts';
import {
  connectNats,
  type Disruptions,
  disruptions,
  maxFrameBytes,
  type NatsAddress,
  publishFramed,
  Reassembler,
  serve,
} from '../nats/index.ts';
import { ObjectRef, ObjectTable } from '../object/index.ts';
import {
  FetchSchema,
  type FunctionDescriptor,
  HeadEventSchema,
  IdSchema,
  type Resources,
  type ResultMessage,
  ResultSchema,
  request,
  Subjects,
} from '../protocol/index.ts';
import { ActorClient } from './actor-client.ts';

/** After a disruption, how long results re-sent by workers get before pending tasks are resubmitted. */
const RESUBMIT_GRACE_MS = 700;

/** Arguments encoded larger than this are stored once and passed by reference. */
const INLINE_ARG_BYTES = 256 * 1024;

export interface TaskSubmission {
  fn: FunctionDescriptor;
  args: unknown[];
  resources: Resources;
  maxRetries: number;
  retryExceptions: boolean;
  placement?: { groupId: string; bundleIndex: number };
}

export interface ActorCreation {
  cls: FunctionDescriptor;
  args: unknown[];
  resources: Resources;
  maxRestarts: number;
  maxConcurrency: number;
  name?: string;
  placement?: { groupId: string; bundleIndex: number };
  /** Outlives the job that creates it. */
  detached?: boolean;
}

interface PendingTask {
  submission: TaskSubmission;
  pinned: string[];
  exceptionRetriesLeft: number;
  /** The encoded TaskSpec (tasks only; actor calls are encoded by the ActorClient). */
  frame?: Uint8Array;
  /** The disruption epoch when it was published to the head (unset while waiting for local dependencies). */
  sentEpoch?: number;
  actorId?: string;
}

interface PreparedArgs {
  args: Uint8Array;
  resolveArgs: number[];
  pinned: string[];
  /** Locally owned argument objects that are not ready yet. */
  waitFor: string[];
}

let current: Runtime | undefined;

/** The runtime of this process (driver or worker), if connected. */
export function currentRuntime(): Runtime | undefined {
  return current;
}

/**
 * The owner side of Manta in one process (a driver or a worker): submits tasks, calls actors,
 * owns the objects it creates, serves them to other processes, and resolves `get()`.
 */
export class Runtime {
  readonly ownerId: string;
  /**
   * The submitted job what this process submits belongs to: a job's entrypoint finds it in
   * MANTA_JOB_ID; a worker takes it from the task or actor it runs.
   */
  jobId: string | undefined = jobIdFromEnv();
  readonly table = new ObjectTable();
  private readonly pending = new Map<string, PendingTask>();
  private readonly actors: ActorClient;
  private readonly subscriptions: Subscription[] = [];
  private readonly finalizer = new FinalizationRegistry<string>((id) => this.table.removeRef(id));
  private readonly disruptions: Disruptions;
  private closed = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly log: Logger,
    ownerId: string,
  ) {
    this.ownerId = ownerId;
    this.actors = new ActorClient(nc, log, (callId, error) => this.failCall(callId, error));
    this.subscriptions.push(
      serve(nc, Subjects.ownerResult(ownerId), ResultSchema, log, (m) => this.onResult(m), { framed: true }),
      serve(nc, Subjects.ownerFetch(ownerId), FetchSchema, log, (m, msg) =>
        this.serveFetch(m.objectId, m.inbox, msg.reply),
      ),
      // A restarted head learns running tasks from the workers; queued ones are sent again.
      serve(nc, Subjects.headReady, HeadEventSchema, log, () =>
        this.resubmitLost(Number.POSITIVE_INFINITY).catch((error: unknown) =>
          this.log.warn({ err: error }, 'could not check pending tasks with the restarted head'),
        ),
      ),
    );
    this.disruptions = disruptions(nc);
    this.disruptions.onRecover(() => this.recover());
  }

  static async connect(options: {
    /** One NATS URL, or the servers of a NATS cluster (array or comma-separated). */
    address: NatsAddress;
    token?: string;
    log: Logger;
    ownerId?: string;
    name?: string;
  }): Promise<Runtime> {
    let nc: NatsConnection;
    try {
      nc = await connectNats({ address: options.address, token: options.token, name: options.name });
    } catch (error) {
      throw new RuntimeStateError(
        `cannot connect to the Manta cluster at ${options.address}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    const runtime = new Runtime(nc, options.log, options.ownerId ?? newId());
    current = runtime;
    return runtime;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (current === this) current = undefined;
    for (const sub of this.subscriptions) sub.unsubscribe();
    await this.nc.drain().catch(() => undefined);
  }

  // ---- objects -------------------------------------------------------------------------------

  /** A new reference to an object this process owns; its lifetime is tracked by the GC. */
  makeRef<T>(id: string): ObjectRef<T> {
    const ref = new ObjectRef<T>(id, this.ownerId);
    this.table.addRef(id);
    this.finalizer.register(ref, id);
    return ref;
  }

  put<T>(value: T): ObjectRef<T> {
    this.assertOpen();
    const id = newId();
    this.table.create(id);
    this.table.resolve(id, encode(value));
    return this.makeRef<T>(id);
  }

  /** The encoded bytes of an object, from this process's table or fetched from its owner. */
  async getBytes(ref: ObjectRef, timeoutMs?: number): Promise<Uint8Array> {
    if (ref.owner === this.ownerId) {
      if (!this.table.has(ref.id)) throw new ObjectLostError(ref.id, `object ${ref.id} was freed`);
      return withTimeout(this.table.wait(ref.id), timeoutMs, ref);
    }
    return withTimeout(this.fetch(ref), timeoutMs, ref);
  }

  async get<T>(ref: ObjectRef<T>, timeoutMs?: number): Promise<T> {
    return decode(await this.getBytes(ref, timeoutMs)) as T;
  }

  /** True when `get(ref)` would not wait. */
  async isReady(ref: ObjectRef): Promise<boolean> {
    if (ref.owner === this.ownerId) return this.table.isReady(ref.id) || !this.table.has(ref.id);
    return false;
  }

  /** Resolves when the object is ready (or failed), without decoding it. */
  whenSettled(ref: ObjectRef): Promise<void> {
    if (ref.owner === this.ownerId) return new Promise((resolve) => this.table.onSettled(ref.id, resolve));
    return this.fetch(ref).then(
      () => undefined,
      () => undefined,
    );
  }

  private async fetch(ref: ObjectRef): Promise<Uint8Array> {
    const tracker = this.disruptions;
    for (;;) {
      const inbox = createInbox();
      const sub = this.nc.subscribe(inbox);
      // A chunk lost to a dying NATS server would stall the transfer: start over after the reconnect.
      let restart = false;
      const recovery = tracker.nextRecovery();
      void recovery.promise.then(() => {
        restart = true;
        sub.unsubscribe();
      });
      try {
        const bytes = await this.fetchOnce(ref, inbox, sub);
        if (bytes) return bytes;
        if (!restart) throw new ObjectLostError(ref.id, `the transfer of ${ref} was cut off`);
      } finally {
        recovery.cancel();
        sub.unsubscribe();
      }
    }
  }

  private async fetchOnce(ref: ObjectRef, inbox: string, sub: Subscription): Promise<Uint8Array | undefined> {
    const reassembler = new Reassembler();
    const reply = await request<{ size: number; inline?: Uint8Array; error?: WireError }>(
      this.nc,
      Subjects.ownerFetch(ref.owner),
      { objectId: ref.id, inbox },
      24 * 3600_000,
    ).catch((error: unknown) => {
      throw new ObjectLostError(
        ref.id,
        `cannot fetch ${ref} from its owner ${ref.owner}: ${(error as Error).message}`,
      );
    });
    if (reply.error) throw errorFromWire(reply.error, 'get');
    if (reply.inline) return reply.inline;
    for await (const msg of sub) {
      const whole = reassembler.accept(msg.data);
      if (whole) return whole;
    }
    return undefined;
  }

  private serveFetch(objectId: string, inbox: string | undefined, reply: string | undefined): void {
    if (!reply) return;
    this.table.wait(objectId).then(
      (bytes) => {
        if (bytes.byteLength < maxFrameBytes(this.nc) - 1024 || !inbox) {
          this.nc.publish(reply, encode({ ok: true, body: { size: bytes.byteLength, inline: bytes } }));
          return;
        }
        this.nc.publish(reply, encode({ ok: true, body: { size: bytes.byteLength } }));
        publishFramed(this.nc, inbox, bytes);
      },
      (error: Error) => this.nc.publish(reply, encode({ ok: true, body: { size: 0, error: wireOf(error) } })),
    );
  }

  // ---- tasks ---------------------------------------------------------------------------------

  submitTask<T>(submission: TaskSubmission): ObjectRef<T> {
    this.assertOpen();
    const taskId = newId();
    const prepared = this.prepareArgs(submission.args);
    this.table.create(taskId);
    const ref = this.makeRef<T>(taskId);
    const frame = encode({
      taskId,
      owner: this.ownerId,
      fn: submission.fn,
      args: prepared.args,
      resolveArgs: prepared.resolveArgs,
      resources: submission.resources,
      maxRetries: submission.maxRetries,
      attempt: 0,
      placement: submission.placement,
      jobId: this.jobId,
    });
    const exceptionRetriesLeft = submission.retryExceptions ? Math.max(0, submission.maxRetries) : 0;
    this.pending.set(taskId, { submission, pinned: prepared.pinned, exceptionRetriesLeft, frame });
    // Dependencies this process owns must be ready first, so no worker waits on them holding resources.
    let waiting = prepared.waitFor.length;
    const send = () => {
      const task = this.pending.get(taskId);
      if (task) task.sentEpoch = this.disruptions.epoch;
      this.sendTask(frame);
    };
    if (waiting === 0) send();
    else for (const id of prepared.waitFor) this.table.onSettled(id, () => --waiting === 0 && send());
    return ref;
  }

  /**
   * A head in this very process (the embedded cluster's driver) takes submissions by a direct
   * call, saving a round trip through the NATS server on every task.
   */
  private localHead: ((spec: Uint8Array) => boolean) | undefined;
  private resubmitTimer: NodeJS.Timeout | undefined;

  useLocalHead(submit: (spec: Uint8Array) => boolean): void {
    this.localHead = submit;
  }

  private sendTask(spec: Uint8Array): void {
    if (this.localHead?.(spec)) return;
    publishFramed(this.nc, Subjects.submitTask, spec);
  }

  /**
   * After a NATS disruption (see nats/disruptions.ts): actor calls are re-sent by the ActorClient.
   * Submissions to the head may have been lost: once results re-sent by workers have had time to
   * arrive, the head is asked which of the tasks still waiting it does not know (neither queued
   * nor running), and those are submitted again.
   */
  private recover(): void {
    if (this.closed) return;
    this.actors.recover();
    clearTimeout(this.resubmitTimer);
    const epoch = this.disruptions.epoch;
    this.resubmitTimer = setTimeout(() => {
      this.resubmitLost(epoch).catch((error: unknown) =>
        this.log.warn({ err: error }, 'could not check pending tasks with the head'),
      );
    }, RESUBMIT_GRACE_MS);
    this.resubmitTimer.unref();
  }

  private async resubmitLost(epoch: number): Promise<void> {
    const ids = [...this.pending]
      .filter(([, task]) => task.frame && task.sentEpoch !== undefined && task.sentEpoch < epoch)
      .map(([id]) => id);
    for (let i = 0; i < ids.length && !this.closed; i += 10_000) {
      const { unknown } = await request<{ unknown: string[] }>(this.nc, Subjects.taskReconcile, {
        owner: this.ownerId,
        taskIds: ids.slice(i, i + 10_000),
      });
      for (const id of unknown) {
        const task = this.pending.get(id);
        if (!task?.frame) continue;
        this.log.info({ taskId: id }, 'submitting a task again: its submission was lost');
        this.sendTask(task.frame);
      }
    }
  }

  // ---- actors --------------------------------------------------------------------------------

  async createActor(creation: ActorCreation): Promise<string> {
    this.assertOpen();
    const actorId = newId();
    const prepared = this.prepareArgs(creation.args);
    await Promise.all(prepared.waitFor.map((id) => this.table.wait(id).catch(() => undefined)));
    this.actors.track(actorId);
    const spec = {
      actorId,
      owner: this.ownerId,
      cls: creation.cls,
      args: prepared.args,
      resolveArgs: prepared.resolveArgs,
      resources: creation.resources,
      maxRestarts: creation.maxRestarts,
      maxConcurrency: creation.maxConcurrency,
      name: creation.name,
      placement: creation.placement,
      jobId: creation.detached ? undefined : this.jobId,
    };
    // Idempotent (the head dedupes by actor id), so a create lost with a dying head is re-sent.
    await request(this.nc, Subjects.actorCreate, spec, 30_000, { attemptTimeoutMs: 5_000 }).catch(
      (error: MantaError) => {
        if (error.code === 'RESOURCES_INFEASIBLE')
          throw new InfeasibleResourcesError(error.message, creation.resources);
        throw error;
      },
    );
    return actorId;
  }

  callActor<T>(actorId: string, method: string, args: unknown[]): ObjectRef<T> {
    this.assertOpen();
    const callId = newId();
    const prepared = this.prepareArgs(args);
    this.table.create(callId);
    const ref = this.makeRef<T>(callId);
    const call = {
      callId,
      owner: this.ownerId,
      method,
      args: prepared.args,
      resolveArgs: prepared.resolveArgs,
    };
    this.pending.set(callId, {
      submission: {
        fn: { module: '', key: method, name: method },
        args,
        resources: {},
        maxRetries: 0,
        retryExceptions: false,
      },
      pinned: prepared.pinned,
      exceptionRetriesLeft: 0,
      actorId,
    });
    this.actors.call(actorId, call);
    return ref;
  }

  actorState(actorId: string) {
    return this.actors.state(actorId);
  }

  async lookupActor(name: string): Promise<string> {
    const body = await request<{ actorId: string }>(this.nc, Subjects.actorLookup, { name });
    return body.actorId;
  }

  async killActor(actorId: string, noRestart: boolean): Promise<void> {
    await request(this.nc, Subjects.actorKill, { actorId, noRestart });
  }

  // ---- results -------------------------------------------------------------------------------

  private onResult(m: ResultMessage): void {
    const task = this.pending.get(m.objectId);
    if (!task) return; // a duplicate after a retry, or a freed object
    if (!m.ok && !m.crashed && task.exceptionRetriesLeft > 0) {
      task.exceptionRetriesLeft--;
      this.log.info({ taskId: m.objectId }, 'retrying task after an application error (retryExceptions)');
      if (task.frame) this.sendTask(task.frame);
      return;
    }
    this.pending.delete(m.objectId);
    for (const id of task.pinned) this.table.unpin(id);
    if (task.actorId) this.actors.settled(task.actorId, m.objectId);
    if (m.ok) this.table.resolve(m.objectId, m.value ?? encode(undefined));
    else
      this.table.reject(
        m.objectId,
        errorFromWire(m.error ?? { name: 'Error', message: 'unknown' }, m.name, m.crashed),
      );
  }

  private failCall(callId: string, error: Error): void {
    const task = this.pending.get(callId);
    if (!task) return;
    this.pending.delete(callId);
    for (const id of task.pinned) this.table.unpin(id);
    this.table.reject(callId, error);
  }

  // ---- arguments -----------------------------------------------------------------------------

  /**
   * Encodes each argument on its own. Top-level ObjectRefs are resolved by the worker before the
   * call (nested refs stay refs); large values are stored once and passed by reference.
   */
  private prepareArgs(args: unknown[]): PreparedArgs {
    const encoded: Uint8Array[] = [];
    const resolveArgs: number[] = [];
    const pinned: string[] = [];
    const waitFor: string[] = [];
    args.forEach((arg, index) => {
      let ref: ObjectRef | undefined;
      if (arg instanceof ObjectRef) {
        ref = arg;
      } else {
        const bytes = encode(arg);
        if (bytes.byteLength <= INLINE_ARG_BYTES) {
          encoded.push(bytes);
          return;
        }
        const id = newId();
        this.table.create(id);
        this.table.resolve(id, bytes);
        ref = new ObjectRef(id, this.ownerId); // held by the pin below, freed when the task ends
      }
      if (ref.owner === this.ownerId && this.table.has(ref.id)) {
        this.table.pin(ref.id);
        pinned.push(ref.id);
        if (!this.table.isReady(ref.id)) waitFor.push(ref.id);
      }
      resolveArgs.push(index);
      encoded.push(encode(ref));
    });
    return { args: encode(encoded), resolveArgs, pinned, waitFor };
  }

  /** Decodes arguments prepared by `prepareArgs` in another process, fetching referenced values. */
  async resolveArgs(args: Uint8Array, resolve: number[]): Promise<unknown[]> {
    const encoded = decode(args) as Uint8Array[];
    if (!Array.isArray(encoded)) throw new MantaError('BAD_ARGS', 'arguments are not an array');
    return Promise.all(
      encoded.map(async (bytes, index) => {
        const value = decode(bytes);
        if (!resolve.includes(index)) return value;
        if (!(value instanceof ObjectRef))
          throw new MantaError('BAD_ARGS', `argument ${index} is not an ObjectRef`);
        return this.get(value);
      }),
    );
  }

  private assertOpen(): void {
    if (this.closed) throw new RuntimeStateError('the Manta runtime is shut down');
  }
}

function wireOf(error: Error): WireError {
  return { name: error.name, message: error.message, stack: error.stack, code: (error as MantaError).code };
}

/** Rebuilds the right error class for a failure that crossed the wire. */
export function errorFromWire(wire: WireError, name: string, crashed?: boolean): Error {
  if (crashed || wire.code === 'WORKER_CRASHED') return new WorkerCrashedError(wire.message, 0);
  if (wire.code === 'RESOURCES_INFEASIBLE') return new InfeasibleResourcesError(wire.message, {});
  if (wire.code === 'ACTOR_DIED')
    return new ActorDiedError('', wire.message, { cause: new RemoteError(wire) });
  if (wire.code === 'OBJECT_LOST') return new ObjectLostError('', wire.message);
  if (wire.code === 'FUNCTION_NOT_FOUND') return new FunctionNotFoundError(wire.message);
  return taskErrorFromWire(name, wire);
}

async function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number | undefined,
  ref: ObjectRef,
): Promise<T> {
  if (timeoutMs === undefined) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new GetTimeoutError(`get(${ref}) timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

registerExtension(
  ExtensionType.ObjectRef,
  ObjectRef,
  (ref) => [ref.id, ref.owner],
  (data) => {
    const [id, owner] = data as [string, string];
    if (typeof id !== 'string' || typeof owner !== 'string')
      throw new MantaError('BAD_REF', 'malformed ObjectRef');
    // A ref to one of our own objects coming back to us is a new local reference to it.
    if (current && owner === current.ownerId && current.table.has(id)) return current.makeRef(id);
    return new ObjectRef(id, owner);
  },
);

/** MANTA_JOB_ID when it is a valid id (anything else would get every submission refused). */
function jobIdFromEnv(): string | undefined {
  const parsed = IdSchema.safeParse(process.env.MANTA_JOB_ID);
  return parsed.success ? parsed.data : undefined;
}
