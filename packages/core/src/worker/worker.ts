import type { NatsConnection } from 'nats';
import { encode, toWireError } from '../codec/index.ts';
import type { Logger } from '../logging/index.ts';
import { disruptions, maxFrameBytes, publishFramed, Sequencer, serve } from '../nats/index.ts';
import {
  type ActorCall,
  ActorCallSchema,
  type ActorSpec,
  EmptySchema,
  replyOk,
  Subjects,
  type TaskSpec,
  TaskSpecSchema,
  type WorkerExec,
  WorkerExecSchema,
} from '../protocol/index.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { loadDefinition } from './load.ts';

/** Results of this many recent tasks are kept, to re-send after a NATS disruption. */
const RECENT_TASKS = 8;
const RECENT_TASK_BYTES = 64 * 1024 * 1024;

type Definition = {
  fn?: (...args: unknown[]) => unknown;
  cls?: new (...args: unknown[]) => object;
  descriptor?: { name: string };
};

/**
 * A worker process: runs tasks the head assigns one at a time, or hosts one actor and runs its
 * method calls in arrival order (up to `maxConcurrency` at once for async methods).
 */
export class Worker {
  private actor: object | undefined;
  private actorSpec: ActorSpec | undefined;
  private readonly callQueue: ActorCall[] = [];
  private running = 0;
  /** Actor calls: once each, in each caller's order, repeats answered from a cache. */
  private readonly calls = new Sequencer<ActorCall>(
    (call) => this.enqueue(call),
    (owner, reply) => publishFramed(this.nc, Subjects.ownerResult(owner), reply),
  );
  /** Tasks running now, and the results of recent ones (re-sent after a NATS disruption). */
  private readonly runningTasks = new Set<string>();
  private readonly recentTasks = new Map<string, { owner: string; reply: Uint8Array }>();
  /** The actor this worker hosts (or constructs), and its ready message once sent. */
  private exec: { actorId: string; incarnation: number; ready?: Uint8Array } | undefined;
  /** The running task and the actor constructor's error, for a restarted head (describe()). */
  private task: TaskSpec | undefined;
  private execError: unknown;

  constructor(
    private readonly runtime: Runtime,
    private readonly workerId: string,
    private readonly nodeId: string,
    private readonly log: Logger,
    /** Sends the output held for the job's driver, so that it arrives before the result. */
    private readonly flushOutput: () => void = () => {},
  ) {}

  private get nc(): NatsConnection {
    return this.runtime.nc;
  }

  start(): void {
    serve(
      this.nc,
      Subjects.workerTask(this.workerId),
      TaskSpecSchema,
      this.log,
      (spec) => this.runTask(spec),
      {
        framed: true,
      },
    );
    serve(
      this.nc,
      Subjects.workerExec(this.workerId),
      WorkerExecSchema,
      this.log,
      (exec) => this.onExec(exec),
      {
        framed: true,
      },
    );
    serve(this.nc, Subjects.workerDescribe(this.workerId), EmptySchema, this.log, (_m, msg) =>
      replyOk(msg, this.describe()),
    );
    this.nc.publish(
      Subjects.workerReady,
      encode({ workerId: this.workerId, nodeId: this.nodeId, pid: process.pid }),
    );
    disruptions(this.nc).onRecover(() => this.resync());
  }

  /** What this worker runs, asked by a restarted head; task arguments too large for one reply are left out. */
  private describe() {
    const { workerId, exec, task } = this;
    if (exec) {
      const status = !exec.ready ? 'starting' : this.execError ? 'failed' : 'ready';
      const error = this.execError ? toWireError(this.execError) : undefined;
      return {
        workerId,
        job: { kind: 'actor', actorId: exec.actorId, incarnation: exec.incarnation, status, error },
      };
    }
    if (!task) return { workerId };
    const whole = encode(task).byteLength < maxFrameBytes(this.nc) - 1024;
    const spec = whole ? task : { ...task, args: new Uint8Array(0) };
    return { workerId, job: { kind: 'task', spec, argsDropped: !whole } };
  }

  /**
   * After a NATS disruption, re-sends what the head or an owner may have missed: recent task
   * results and the last task's completion, the actor's ready message, and, with no job, that
   * this worker is ready (the head then re-sends a job it thinks it gave). Receivers deduplicate.
   */
  private resync(): void {
    for (const { owner, reply } of this.recentTasks.values())
      publishFramed(this.nc, Subjects.ownerResult(owner), reply);
    const last = [...this.recentTasks.keys()].at(-1);
    if (last && this.runningTasks.size === 0)
      this.nc.publish(Subjects.taskDone, encode({ workerId: this.workerId, taskId: last }));
    if (this.exec?.ready) this.nc.publish(Subjects.actorReady, this.exec.ready);
    if (!this.exec && this.runningTasks.size === 0) {
      this.nc.publish(
        Subjects.workerReady,
        encode({ workerId: this.workerId, nodeId: this.nodeId, pid: process.pid, idle: true }),
      );
    }
  }

  private async onExec(exec: WorkerExec): Promise<void> {
    if (this.exec?.actorId === exec.spec.actorId && this.exec.incarnation === exec.incarnation) {
      if (this.exec.ready) this.nc.publish(Subjects.actorReady, this.exec.ready); // a repeat
      return;
    }
    this.exec = { actorId: exec.spec.actorId, incarnation: exec.incarnation };
    await this.startActor(exec.spec, exec.incarnation);
  }

  private async runTask(spec: TaskSpec): Promise<void> {
    // A repeat of the running task (the head re-sends a job after a disruption): let it finish.
    // A finished one runs again: it may be a retry after an application error (retryExceptions).
    if (this.runningTasks.has(spec.taskId)) return;
    this.runningTasks.add(spec.taskId);
    this.task = spec;
    this.runtime.jobId = spec.jobId; // what the task submits belongs to its job
    let result: { ok: true; value: Uint8Array } | { ok: false; error: unknown };
    let name = spec.fn.name;
    try {
      const definition = (await loadDefinition(spec.fn)) as Definition;
      name = definition.descriptor?.name ?? name;
      if (typeof definition.fn !== 'function') throw new TypeError(`${name} is not a remote function`);
      const args = await this.runtime.resolveArgs(spec.args, spec.resolveArgs);
      result = { ok: true, value: encode(await definition.fn(...args)) };
    } catch (error) {
      result = { ok: false, error };
    }
    const reply = this.sendResult(spec.owner, spec.taskId, name, result);
    this.runningTasks.delete(spec.taskId);
    if (this.task === spec) this.task = undefined;
    this.remember(spec.taskId, spec.owner, reply);
    this.nc.publish(Subjects.taskDone, encode({ workerId: this.workerId, taskId: spec.taskId }));
  }

  private remember(taskId: string, owner: string, reply: Uint8Array): void {
    this.recentTasks.set(taskId, { owner, reply });
    let bytes = 0;
    for (const recent of this.recentTasks.values()) bytes += recent.reply.byteLength;
    for (const [id, recent] of this.recentTasks) {
      if (this.recentTasks.size <= RECENT_TASKS && bytes <= RECENT_TASK_BYTES) break;
      this.recentTasks.delete(id);
      bytes -= recent.reply.byteLength;
    }
  }

  private async startActor(spec: ActorSpec, incarnation: number): Promise<void> {
    this.runtime.jobId = spec.jobId; // what the actor submits belongs to its job
    let error: unknown;
    try {
      const definition = (await loadDefinition(spec.cls)) as Definition;
      spec.cls.name = definition.descriptor?.name ?? spec.cls.name;
      if (typeof definition.cls !== 'function') throw new TypeError(`${spec.cls.name} is not an actor class`);
      const args = await this.runtime.resolveArgs(spec.args, spec.resolveArgs);
      this.actor = new definition.cls(...args);
      this.actorSpec = spec;
      serve(
        this.nc,
        Subjects.actorCall(spec.actorId),
        ActorCallSchema,
        this.log,
        (call) =>
          call.seq === undefined
            ? this.enqueue(call)
            : this.calls.accept(call.owner, call.seq, call.low ?? call.seq, call),
        {
          framed: true,
        },
      );
      await this.nc.flush();
    } catch (e) {
      error = e;
    }
    const ready = encode({
      actorId: spec.actorId,
      workerId: this.workerId,
      incarnation,
      error: error ? toWireError(error) : undefined,
    });
    if (this.exec?.actorId === spec.actorId) this.exec.ready = ready;
    this.execError = error;
    this.nc.publish(Subjects.actorReady, ready);
  }

  private enqueue(call: ActorCall): void {
    this.callQueue.push(call);
    this.drain();
  }

  /** Starts queued calls in arrival order while fewer than maxConcurrency are running. */
  private drain(): void {
    const limit = this.actorSpec?.maxConcurrency ?? 1;
    while (this.running < limit && this.callQueue.length > 0) {
      const call = this.callQueue.shift()!;
      this.running++;
      void this.runCall(call).finally(() => {
        this.running--;
        this.drain();
      });
    }
  }

  private async runCall(call: ActorCall): Promise<void> {
    const name = `${this.actorSpec?.cls.name ?? 'actor'}.${call.method}`;
    let result: { ok: true; value: Uint8Array } | { ok: false; error: unknown };
    try {
      const method = (this.actor as Record<string, unknown>)[call.method];
      if (typeof method !== 'function') throw new TypeError(`${name} is not a method`);
      const args = await this.runtime.resolveArgs(call.args, call.resolveArgs);
      result = { ok: true, value: encode(await method.apply(this.actor, args)) };
    } catch (error) {
      result = { ok: false, error };
    }
    const reply = this.sendResult(call.owner, call.callId, name, result);
    if (call.seq !== undefined) this.calls.remember(call.owner, call.seq, reply);
  }

  private sendResult(
    owner: string,
    objectId: string,
    name: string,
    result: { ok: true; value: Uint8Array } | { ok: false; error: unknown },
  ): Uint8Array {
    const message = result.ok
      ? { objectId, ok: true, value: result.value, name }
      : { objectId, ok: false, error: toWireError(result.error), name };
    const reply = encode(message);
    this.flushOutput();
    publishFramed(this.nc, Subjects.ownerResult(owner), reply);
    return reply;
  }
}
