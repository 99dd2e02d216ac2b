import type { NatsConnection } from 'nats';
import { encode, toWireError } from '../codec/index.ts';
import type { Logger } from '../logging/index.ts';
import { publishFramed, serve } from '../nats/index.ts';
import {
  type ActorCall,
  ActorCallSchema,
  type ActorSpec,
  Subjects,
  type TaskSpec,
  TaskSpecSchema,
  type WorkerExec,
  WorkerExecSchema,
} from '../protocol/index.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { loadDefinition } from './load.ts';

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

  constructor(
    private readonly runtime: Runtime,
    private readonly workerId: string,
    private readonly nodeId: string,
    private readonly log: Logger,
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
    this.nc.publish(
      Subjects.workerReady,
      encode({ workerId: this.workerId, nodeId: this.nodeId, pid: process.pid }),
    );
  }

  private async onExec(exec: WorkerExec): Promise<void> {
    await this.startActor(exec.spec, exec.incarnation);
  }

  private async runTask(spec: TaskSpec): Promise<void> {
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
    this.sendResult(spec.owner, spec.taskId, name, result);
    this.nc.publish(Subjects.taskDone, encode({ workerId: this.workerId, taskId: spec.taskId }));
  }

  private async startActor(spec: ActorSpec, incarnation: number): Promise<void> {
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
        (call) => this.enqueue(call),
        {
          framed: true,
        },
      );
      await this.nc.flush();
    } catch (e) {
      error = e;
    }
    this.nc.publish(
      Subjects.actorReady,
      encode({
        actorId: spec.actorId,
        workerId: this.workerId,
        incarnation,
        error: error ? toWireError(error) : undefined,
      }),
    );
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
    this.sendResult(call.owner, call.callId, name, result);
  }

  private sendResult(
    owner: string,
    objectId: string,
    name: string,
    result: { ok: true; value: Uint8Array } | { ok: false; error: unknown },
  ): void {
    const message = result.ok
      ? { objectId, ok: true, value: result.value, name }
      : { objectId, ok: false, error: toWireError(result.error), name };
    publishFramed(this.nc, Subjects.ownerResult(owner), encode(message));
  }
}
