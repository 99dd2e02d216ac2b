import { ErrorCode } from 'nats';
import type { WireError } from '../codec/index.ts';
import type { Logger } from '../logging/index.ts';
import {
  type Resources,
  type TaskSpec,
  type WorkerDescription,
  WorkerDescriptionSchema,
} from '../protocol/index.ts';
import { fits, subtract } from '../scheduler/resources.ts';
import type { ActorRecord, NodeRecord, WorkerRecord } from './cluster-state.ts';
import type { BundleClaim, PlacementGroups } from './placement-groups.ts';
import type { HeadState } from './state-store.ts';

/** How long a restarted head waits for a worker to say what it runs before it goes on without. */
const DESCRIBE_TIMEOUT_MS = 3000;
/** A worker that did not answer in time (a long synchronous call) is asked once more, this long. */
const LATE_DESCRIBE_TIMEOUT_MS = 60_000;

/** The parts of the head that recovery rebuilds and the actions it takes through the head. */
export interface RecoveryHost {
  readonly nodes: Map<string, NodeRecord>;
  readonly workers: Map<string, WorkerRecord>;
  readonly actors: Map<string, ActorRecord>;
  readonly names: Map<string, string>;
  readonly groups: PlacementGroups;
  readonly pendingActors: string[];
  readonly maxIdleWorkersPerNode: number;
  killWorker(worker: WorkerRecord): void;
  /** Gives a worker's held resources back and forgets its job (it is being replaced). */
  release(worker: WorkerRecord): void;
  setActorState(record: ActorRecord, state: ActorRecord['state'], reason?: string): void;
  onActorWorkerLost(actorId: string, reason: string): void;
  persistActor(record: ActorRecord): void;
  schedule(): void;
  /** Recovery is over: the head tells owners to resend the tasks it does not know. */
  recovered(): void;
  /** Asks a worker what it runs (a request; a MantaError whose cause has code '503' when nobody listens). */
  describe(workerId: string, timeoutMs: number): Promise<unknown>;
}

/**
 * Rebuilds a restarted head's view of the cluster: the stored nodes, actors and placement groups
 * are loaded first; then each node that registers again reports its live worker processes, and
 * each worker says what it runs (a task, an actor and its incarnation, or nothing). Actors whose
 * worker lives stay ALIVE and keep their state; the others are restarted (per maxRestarts) once
 * every stored node has registered again or been declared dead by the node timeout.
 */
export class Recovery {
  /** Nodes the stored state knows that have not registered with this head yet. */
  private readonly awaitedNodes = new Set<string>();
  /** Stored actors not yet found on a live worker. */
  private readonly unboundActors = new Set<string>();
  /** Bundles (group/index/generation) of stored CREATED groups whose free part is rebuilt when their node registers. */
  private readonly unfilledBundles = new Set<string>();
  /** Nodes that registered and whose workers are still being asked. */
  private reconciling = 0;
  private active = false;

  constructor(
    private readonly host: RecoveryHost,
    private readonly log: Logger,
  ) {}

  /** True from a restarted head's start until every stored node and actor is accounted for. */
  get recovering(): boolean {
    return this.active;
  }

  /** Loads the stored state. Nothing is placed on a stored node until it registers again. */
  restore(state: HeadState): void {
    const h = this.host;
    const now = Date.now();
    for (const n of state.nodes) {
      h.nodes.set(n.nodeId, {
        ...n,
        available: {},
        lastHeartbeat: now,
        idleWorkers: [],
        recovering: n.alive,
      });
      if (n.alive) this.awaitedNodes.add(n.nodeId);
    }
    for (const stored of state.groups) {
      const group = h.groups.restore(stored);
      if (group.state !== 'CREATED') continue;
      if (group.nodeIds.every((nodeId) => this.awaitedNodes.has(nodeId))) {
        group.nodeIds.forEach((_, i) => {
          this.unfilledBundles.add(`${group.groupId}/${i}/${group.generation}`);
        });
      } else {
        // A bundle sits on a node already dead: place the group again, as for a node death.
        group.state = 'PENDING';
        group.generation++;
      }
    }
    for (const a of state.actors) {
      const actorId = a.spec.actorId;
      h.actors.set(actorId, { ...a, error: a.error as WireError | undefined });
      if (a.state === 'DEAD') continue;
      this.unboundActors.add(actorId);
      if (a.spec.name !== undefined) h.names.set(a.spec.name, actorId);
    }
    this.active = this.awaitedNodes.size > 0 || this.unboundActors.size > 0;
    this.log.info(
      { nodes: this.awaitedNodes.size, actors: this.unboundActors.size, groups: state.groups.length },
      'restored the stored cluster state; waiting for the nodes to register again',
    );
  }

  /** True for a stored node that has not registered with this head yet. */
  awaiting(nodeId: string): boolean {
    return this.awaitedNodes.has(nodeId);
  }

  /**
   * A known node registered again (after a head restart, or after being declared dead), with
   * its live workers: rebuild its free resources and learn what each worker runs. The node
   * takes no new work until then (at most DESCRIBE_TIMEOUT_MS).
   */
  reconcileNode(node: NodeRecord, reported: Array<{ workerId: string; pid: number }>): void {
    this.awaitedNodes.delete(node.nodeId);
    node.recovering = true;
    node.available = { ...node.total };
    for (const group of this.host.groups.groups.values()) {
      if (group.state !== 'CREATED') continue;
      group.nodeIds.forEach((nodeId, i) => {
        if (nodeId !== node.nodeId) return;
        subtract(node.available, group.bundles[i]);
        if (this.unfilledBundles.delete(`${group.groupId}/${i}/${group.generation}`))
          group.available[i] = { ...group.bundles[i] };
      });
    }
    this.reconciling++;
    void Promise.all(reported.map((w) => this.adopt(node, w.workerId, w.pid))).finally(() => {
      this.reconciling--;
      node.recovering = false;
      this.log.info({ nodeId: node.nodeId, workers: reported.length }, 'node reconciled with this head');
      this.host.schedule();
      this.maybeFinish();
    });
  }

  /** A stored node was declared dead without registering again. */
  nodeDead(nodeId: string): void {
    if (this.awaitedNodes.delete(nodeId)) this.maybeFinish();
  }

  /** A worker being described reported a task done: it is idle now, whatever it said. */
  taskDone(worker: WorkerRecord, taskId: string): void {
    worker.finishedTask = taskId;
  }

  /** Called once at start: a head with nothing to recover is ready at once. */
  begin(): void {
    if (this.active) this.maybeFinish();
    else this.host.recovered();
  }

  private maybeFinish(): void {
    if (!this.active || this.awaitedNodes.size > 0 || this.reconciling > 0) return;
    const h = this.host;
    for (const actorId of this.unboundActors) {
      const record = h.actors.get(actorId);
      if (!record || record.state === 'DEAD') continue;
      if (record.state === 'ALIVE') {
        h.onActorWorkerLost(actorId, 'its worker process did not survive the head restart');
      } else {
        record.workerId = undefined; // never constructed: place it again, not counted as a restart
        h.pendingActors.push(actorId);
      }
    }
    this.unboundActors.clear();
    this.log.info('recovery finished');
    this.active = false;
    h.recovered();
    h.schedule();
  }

  // ---- workers ---------------------------------------------------------------------------------

  private async adopt(node: NodeRecord, workerId: string, pid: number): Promise<void> {
    const h = this.host;
    const worker: WorkerRecord = { workerId, nodeId: node.nodeId, state: 'recovering', pid };
    h.workers.set(workerId, worker);
    try {
      this.apply(worker, await this.describe(workerId, DESCRIBE_TIMEOUT_MS));
    } catch (error) {
      if (h.workers.get(workerId) !== worker || worker.state !== 'recovering') return;
      if ((error as { cause?: { code?: string } }).cause?.code === ErrorCode.NoResponders) {
        worker.state = 'starting'; // not connected yet: its workerReady will come to this head
        return;
      }
      // Busy in a long synchronous call (or stuck): take its actor from the stored state, ask later.
      this.log.warn({ workerId, err: error }, 'a worker did not say what it runs; asking again later');
      this.bindStoredActor(worker);
      this.describe(workerId, LATE_DESCRIBE_TIMEOUT_MS).then(
        (description) => this.apply(worker, description),
        () => undefined,
      );
    }
  }

  private async describe(workerId: string, timeoutMs: number): Promise<WorkerDescription> {
    return WorkerDescriptionSchema.parse(await this.host.describe(workerId, timeoutMs));
  }

  private apply(worker: WorkerRecord, description: WorkerDescription): void {
    const h = this.host;
    if (h.workers.get(worker.workerId) !== worker) return; // exited meanwhile
    const job = description.job;
    if (worker.job?.kind === 'actor') {
      // Bound from the stored state while it did not answer: only its construction may have moved on.
      const record = h.actors.get(worker.job.actorId);
      if (job?.kind === 'actor' && job.status === 'ready' && record && record.state !== 'ALIVE')
        h.setActorState(record, 'ALIVE');
      return;
    }
    if (worker.state !== 'recovering') return;
    if (!job || (job.kind === 'task' && worker.finishedTask === job.spec.taskId)) this.makeIdle(worker);
    else if (job.kind === 'task') this.bindTask(worker, job.spec, job.argsDropped);
    else this.bindActor(worker, job.actorId, job.incarnation, job.status, job.error);
  }

  private makeIdle(worker: WorkerRecord): void {
    const node = this.host.nodes.get(worker.nodeId);
    if (node?.alive && node.idleWorkers.length < this.host.maxIdleWorkersPerNode) {
      worker.state = 'idle';
      node.idleWorkers.push(worker.workerId);
    } else {
      worker.state = 'busy';
      this.host.killWorker(worker);
    }
  }

  /** A task that was running when the head died: it keeps running, its result goes to its owner. */
  private bindTask(worker: WorkerRecord, spec: TaskSpec, argsDropped?: boolean): void {
    worker.state = 'busy';
    worker.job = { kind: 'task', spec, argsDropped };
    this.hold(worker, spec.resources, spec.placement?.groupId, spec.placement?.bundleIndex ?? -1);
  }

  private bindActor(
    worker: WorkerRecord,
    actorId: string,
    incarnation: number,
    status: 'starting' | 'ready' | 'failed',
    error?: WireError,
  ): void {
    const h = this.host;
    const record = h.actors.get(actorId);
    const bound = record?.workerId ? h.workers.get(record.workerId) : undefined;
    const other = bound && bound !== worker && bound.job?.kind === 'actor' ? bound : undefined;
    const stale =
      !record ||
      record.state === 'DEAD' ||
      incarnation < record.incarnation ||
      (other !== undefined && incarnation === record.incarnation) ||
      (!other && !this.unboundActors.has(actorId) && record.workerId !== worker.workerId);
    if (stale) {
      this.log.info({ actorId, workerId: worker.workerId }, 'stopping a worker with a stale actor');
      worker.state = 'busy';
      h.killWorker(worker);
      return;
    }
    if (other) {
      // Two live workers host the actor: the newer incarnation wins.
      h.release(other);
      other.job = undefined;
      h.killWorker(other);
    }
    const newer = incarnation > record.incarnation;
    if (newer) {
      record.restarts += incarnation - record.incarnation;
      record.incarnation = incarnation;
    }
    this.unboundActors.delete(actorId);
    worker.state = 'busy';
    worker.job = { kind: 'actor', actorId };
    const placement = record.spec.placement;
    this.hold(
      worker,
      record.spec.resources,
      placement?.groupId,
      record.claimIndex ?? placement?.bundleIndex ?? -1,
    );
    record.workerId = worker.workerId;
    record.nodeId = worker.nodeId;
    if (status === 'failed') {
      record.error = error;
      h.setActorState(record, 'DEAD', `the constructor of ${record.spec.cls.name} threw`);
      h.killWorker(worker);
    } else if (status === 'ready') {
      if (newer || record.state !== 'ALIVE') h.setActorState(record, 'ALIVE');
      else h.persistActor(record);
    } else if (newer || record.state === 'ALIVE') {
      // Still constructing: callers hold their calls until its actorReady makes it ALIVE.
      h.setActorState(
        record,
        incarnation > 0 ? 'RESTARTING' : 'PENDING',
        'constructing after a head restart',
      );
    } else {
      h.persistActor(record);
    }
  }

  /** A worker that did not answer: the stored state says which actor (if any) it hosts. */
  private bindStoredActor(worker: WorkerRecord): void {
    for (const actorId of this.unboundActors) {
      const record = this.host.actors.get(actorId);
      if (record?.workerId !== worker.workerId) continue;
      const status = record.state === 'ALIVE' ? 'ready' : 'starting';
      this.bindActor(worker, actorId, record.incarnation, status);
      return;
    }
  }

  /** Takes a job's resources out of the node, or out of its placement-group bundle on the node. */
  private hold(worker: WorkerRecord, resources: Resources, groupId: string | undefined, index: number): void {
    worker.held = { ...resources };
    worker.claim = groupId ? this.claim(groupId, index, worker.nodeId, resources) : undefined;
    if (!worker.claim) {
      const node = this.host.nodes.get(worker.nodeId);
      if (node) subtract(node.available, resources);
    }
  }

  private claim(groupId: string, index: number, nodeId: string, request: Resources): BundleClaim | undefined {
    const group = this.host.groups.groups.get(groupId);
    if (group?.state !== 'CREATED') return undefined;
    const candidates = group.nodeIds
      .map((n, i) => (n === nodeId && (index < 0 || index === i) ? i : -1))
      .filter((i) => i >= 0);
    if (candidates.length === 0) return undefined;
    const chosen = candidates.find((i) => fits(request, group.available[i])) ?? candidates[0];
    subtract(group.available[chosen], request);
    return { groupId, index: chosen, generation: group.generation };
  }
}
