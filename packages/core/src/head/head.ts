import { randomBytes } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { decode, encode, toWireError } from '../codec/index.ts';
import { ActorDiedError, InfeasibleResourcesError, WorkerCrashedError } from '../errors/index.ts';
import type { Logger } from '../logging/index.ts';
import { maxFrameBytes, publishFramed, serve } from '../nats/index.ts';
import {
  ActorIdRequestSchema,
  ActorKillSchema,
  ActorLookupSchema,
  ActorReadySchema,
  type ActorSpec,
  ActorSpecSchema,
  DRIVER_JOB_PREFIX,
  DriverAliveSchema,
  EmptySchema,
  JobEndedSchema,
  NodeHeartbeatSchema,
  type NodeRegister,
  NodeRegisterSchema,
  PlacementGroupCreateSchema,
  PlacementGroupIdSchema,
  type Resources,
  replyError,
  replyOk,
  request,
  Subjects,
  TaskDoneSchema,
  TaskReconcileSchema,
  type TaskSpec,
  TaskSpecSchema,
  WorkerExitedSchema,
  WorkerReadySchema,
} from '../protocol/index.ts';
import { add, formatResources, subtract } from '../scheduler/resources.ts';
import type { ActorRecord, Job, NodeRecord, WorkerRecord } from './cluster-state.ts';
import { DriverLeases } from './drivers.ts';
import { chooseNode, feasible } from './placement.ts';
import { type BundleClaim, PlacementGroups } from './placement-groups.ts';
import { Recovery } from './recovery.ts';
import { type HeadState, type HeadStateStore, StateKeys } from './state-store.ts';

/** How many ended jobs the head remembers, to refuse their late submissions. */
const MAX_ENDED_JOBS = 10_000;

function jobEndedError(jobId: string): Error {
  return new Error(`job ${jobId} has ended: its tasks and actors are stopped`);
}

/** How often the head looks for nodes whose heartbeats stopped. */
const LIVENESS_CHECK_MS = 1000;

export interface HeadOptions {
  /** What to do with a request no node can ever satisfy: fail it at once, or wait for a node. */
  infeasible?: 'fail' | 'wait';
  /** A node silent for this long is dead (default 10 s). */
  nodeTimeoutMs?: number;
  /**
   * A driver that joined on its own and is silent for this long is gone, and its job ends
   * (default 30 s: longer than a node's, as a driver's event loop may be busy with its own work).
   */
  driverTimeoutMs?: number;
  /** Idle task workers kept per node beyond which finished workers are stopped. */
  maxIdleWorkersPerNode?: number;
  /** Where nodes, actors and placement groups are kept so a restarted head can go on. */
  store?: HeadStateStore;
  /** The state a previous head stored, to pick the cluster up from. */
  restored?: HeadState;
  /** The lease this head holds (head/lease.ts): given up on stop. */
  lease?: { release(): Promise<void> };
}

export function newId(): string {
  return randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
}

/**
 * The head services: node registry, resource-aware scheduler for tasks and actors, actor
 * registry (restarts, names), and cluster status. It only moves small control messages;
 * task results and objects go straight from workers to their owners.
 */
export class Head {
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly workers = new Map<string, WorkerRecord>();
  private readonly actors = new Map<string, ActorRecord>();
  private readonly names = new Map<string, string>();
  private readonly pendingTasks: TaskSpec[] = [];
  /** The submitted frame of a task, forwarded to its worker as is (no decode/encode on the hot path). */
  private readonly submittedFrames = new WeakMap<TaskSpec, Uint8Array>();
  private readonly pendingActors: string[] = [];
  /** Jobs whose entrypoint ended, newest last (bounded): what they still submit is refused. */
  private readonly endedJobs = new Set<string>();
  private readonly drivers: DriverLeases;
  private readonly groups = new PlacementGroups();
  private readonly subscriptions: Subscription[] = [];
  private livenessTimer: NodeJS.Timeout | undefined;
  private lastLivenessCheck = 0;
  private readonly infeasible: 'fail' | 'wait';
  private readonly nodeTimeoutMs: number;
  private readonly maxIdleWorkersPerNode: number;
  /** This head's identity: a restarted head has a new one. */
  readonly epoch = newId();
  private readonly store: HeadStateStore | undefined;
  private readonly lease: HeadOptions['lease'];
  private readonly recovery: Recovery;
  private readonly reregisterAsked = new Map<string, number>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
    options: HeadOptions = {},
  ) {
    this.infeasible = options.infeasible ?? 'fail';
    this.nodeTimeoutMs = options.nodeTimeoutMs ?? 10_000;
    this.drivers = new DriverLeases(options.driverTimeoutMs ?? 30_000);
    this.maxIdleWorkersPerNode = options.maxIdleWorkersPerNode ?? 16;
    this.store = options.store;
    this.lease = options.lease;
    this.recovery = new Recovery(
      {
        nodes: this.nodes,
        workers: this.workers,
        actors: this.actors,
        names: this.names,
        groups: this.groups,
        pendingActors: this.pendingActors,
        maxIdleWorkersPerNode: this.maxIdleWorkersPerNode,
        killWorker: (worker) => this.killWorker(worker),
        release: (worker) => this.release(worker),
        setActorState: (record, state, reason) => this.setActorState(record, state, reason),
        onActorWorkerLost: (actorId, reason) => this.onActorWorkerLost(actorId, reason),
        persistActor: (record) => void this.persistActor(record.spec.actorId),
        schedule: () => this.schedule(),
        recovered: () => this.nc.publish(Subjects.headReady, encode({ epoch: this.epoch })),
        describe: (workerId, timeoutMs) => request(this.nc, Subjects.workerDescribe(workerId), {}, timeoutMs),
      },
      log,
    );
    if (options.restored) {
      this.recovery.restore(options.restored);
      // Drivers of restored actors get one timeout to be heard from this head, or their job ends.
      for (const { spec, state } of this.actors.values()) {
        if (spec.jobId?.startsWith(DRIVER_JOB_PREFIX) && state !== 'DEAD') this.drivers.heard(spec.jobId);
      }
    }
  }

  start(): void {
    const on = this.subscriptions;
    const nc = this.nc;
    const log = this.log;
    on.push(
      serve(nc, Subjects.nodeRegister, NodeRegisterSchema, log, (m, msg) => this.onNodeRegister(m, msg)),
    );
    on.push(serve(nc, Subjects.nodeHeartbeat, NodeHeartbeatSchema, log, (m) => this.onHeartbeat(m.nodeId)));
    on.push(
      serve(nc, Subjects.submitTask, TaskSpecSchema, log, (spec, msg) => this.onSubmitTask(spec, msg.data), {
        framed: true,
      }),
    );
    on.push(serve(nc, Subjects.taskDone, TaskDoneSchema, log, (m) => this.onTaskDone(m.workerId, m.taskId)));
    on.push(
      serve(nc, Subjects.workerReady, WorkerReadySchema, log, (m) =>
        this.onWorkerReady(m.workerId, m.pid, m.idle),
      ),
    );
    on.push(
      serve(nc, Subjects.workerExited, WorkerExitedSchema, log, (m) =>
        this.onWorkerExited(m.workerId, m.code, m.signal),
      ),
    );
    on.push(
      serve(nc, Subjects.actorCreate, ActorSpecSchema, log, (spec, msg) => this.onActorCreate(spec, msg)),
    );
    on.push(serve(nc, Subjects.actorReady, ActorReadySchema, log, (m) => this.onActorReady(m)));
    on.push(
      serve(nc, Subjects.actorState, ActorIdRequestSchema, log, (m, msg) =>
        this.onActorState(m.actorId, msg),
      ),
    );
    on.push(
      serve(nc, Subjects.actorLookup, ActorLookupSchema, log, (m, msg) => this.onActorLookup(m.name, msg)),
    );
    on.push(
      serve(nc, Subjects.actorKill, ActorKillSchema, log, (m, msg) =>
        this.onActorKill(m.actorId, m.noRestart, msg),
      ),
    );
    on.push(serve(nc, Subjects.jobEnded, JobEndedSchema, log, (m) => this.onJobEnded(m.jobId)));
    on.push(
      serve(nc, Subjects.driverAlive, DriverAliveSchema, log, (m) => {
        if (!this.hasEnded(m.jobId)) this.drivers.heard(m.jobId);
      }),
    );
    on.push(serve(nc, Subjects.status, EmptySchema, log, (_m, msg) => replyOk(msg, this.status())));
    on.push(
      serve(nc, Subjects.taskReconcile, TaskReconcileSchema, log, (m, msg) =>
        replyOk(msg, { unknown: this.unknownTasks(m.taskIds) }),
      ),
    );
    on.push(serve(nc, Subjects.listTasks, EmptySchema, log, (_m, msg) => replyOk(msg, this.taskList())));
    on.push(
      serve(nc, Subjects.groupCreate, PlacementGroupCreateSchema, log, (m, msg) =>
        this.onGroupCreate(m, msg),
      ),
    );
    on.push(
      serve(nc, Subjects.groupWait, PlacementGroupIdSchema, log, (m, msg) =>
        this.onGroupWait(m.groupId, msg),
      ),
    );
    on.push(
      serve(nc, Subjects.groupRemove, PlacementGroupIdSchema, log, (m, msg) =>
        this.onGroupRemove(m.groupId, msg),
      ),
    );
    this.lastLivenessCheck = Date.now();
    this.livenessTimer = setInterval(() => this.checkLiveness(), LIVENESS_CHECK_MS);
    this.livenessTimer.unref();
    // Nodes that served an earlier head register again, reporting their workers.
    nc.publish(Subjects.headStarted, encode({ epoch: this.epoch }));
    this.recovery.begin();
  }

  async stop(): Promise<void> {
    this.stopServing();
    await this.store?.flush();
    await this.lease?.release();
  }

  /**
   * Stops serving at once and writes nothing more to the stored state: another head has taken
   * the lease over, and what this one still holds is older than what that one stores.
   */
  abandon(): void {
    this.stopServing();
    this.store?.close();
  }

  private stopServing(): void {
    clearInterval(this.livenessTimer);
    for (const sub of this.subscriptions.splice(0)) sub.unsubscribe();
  }

  // ---- durable state -----------------------------------------------------------------------

  private persistNode(nodeId: string): void {
    void this.store?.write(StateKeys.node(nodeId), () => {
      const n = this.nodes.get(nodeId);
      return n && { nodeId, hostname: n.hostname, pid: n.pid, total: n.total, alive: n.alive };
    });
  }

  private persistActor(actorId: string): Promise<void> | undefined {
    return this.store?.write(StateKeys.actor(actorId), () => {
      const a = this.actors.get(actorId);
      if (!a) return undefined;
      const { spec, state, incarnation, restarts, workerId, nodeId, claimIndex, error, reason } = a;
      return { spec, state, incarnation, restarts, workerId, nodeId, claimIndex, error, reason };
    });
  }

  private persistGroup(groupId: string): Promise<void> | undefined {
    return this.store?.write(StateKeys.group(groupId), () => this.groups.stored(groupId));
  }

  // ---- nodes -------------------------------------------------------------------------------

  private onNodeRegister(m: NodeRegister, msg: Msg): void {
    const known = this.nodes.get(m.nodeId);
    if (known?.alive && !this.recovery.awaiting(m.nodeId)) {
      // Registered already (it heard a head start that was this one): nothing changed.
      known.lastHeartbeat = Date.now();
      replyOk(msg, { nodeId: m.nodeId, epoch: this.epoch });
      return;
    }
    const node: NodeRecord = {
      nodeId: m.nodeId,
      hostname: m.hostname,
      pid: m.pid,
      total: { ...m.resources },
      available: { ...m.resources },
      alive: true,
      lastHeartbeat: Date.now(),
      idleWorkers: [],
    };
    this.nodes.set(m.nodeId, node);
    this.persistNode(m.nodeId);
    this.log.info(
      { nodeId: m.nodeId, resources: m.resources, workers: m.workers?.length ?? 0, known: Boolean(known) },
      'node registered',
    );
    replyOk(msg, { nodeId: m.nodeId, epoch: this.epoch });
    // A node that served an earlier head (or was declared dead) brings its live workers along.
    if (known || m.workers?.length) this.recovery.reconcileNode(node, m.workers ?? []);
    this.schedule();
  }

  private onHeartbeat(nodeId: string): void {
    const node = this.nodes.get(nodeId);
    if (node?.alive && !this.recovery.awaiting(nodeId)) {
      node.lastHeartbeat = Date.now();
      return;
    }
    // A node this head has not registered (it missed the head-started event): ask it, now and then.
    const now = Date.now();
    if (now - (this.reregisterAsked.get(nodeId) ?? 0) < 2000) return;
    this.reregisterAsked.set(nodeId, now);
    this.nc.publish(Subjects.nodeReregister(nodeId), encode({ epoch: this.epoch }));
  }

  private checkLiveness(): void {
    const now = Date.now();
    const stalledMs = now - this.lastLivenessCheck - LIVENESS_CHECK_MS;
    this.lastLivenessCheck = now;
    if (stalledMs > LIVENESS_CHECK_MS) {
      // This process's event loop was blocked (e.g. a long synchronous computation in the driver
      // of an embedded cluster): heartbeats could not be read either, so silence over that span
      // says nothing about the nodes. Start their clocks again rather than declare them dead.
      this.log.warn({ stalledMs }, 'head event loop was blocked: node heartbeat clocks restarted');
      for (const node of this.nodes.values()) if (node.alive) node.lastHeartbeat = now;
      this.drivers.restartClocks(now);
      return;
    }
    for (const jobId of this.drivers.takeExpired(now)) {
      this.log.warn({ jobId, timeoutMs: this.drivers.timeoutMs }, 'driver missed heartbeats: its job ends');
      this.onJobEnded(jobId);
    }
    for (const node of this.nodes.values()) {
      if (node.alive && now - node.lastHeartbeat > this.nodeTimeoutMs) {
        this.log.warn({ nodeId: node.nodeId }, 'node missed heartbeats: marked dead');
        node.alive = false;
        node.recovering = false;
        this.persistNode(node.nodeId);
        for (const worker of [...this.workers.values()]) {
          if (worker.nodeId === node.nodeId) this.onWorkerExited(worker.workerId, null, 'NODE_DEAD');
        }
        // Groups that lost a bundle are placed again; their jobs on other nodes restart with them.
        for (const group of this.groups.onNodeDead(node.nodeId, this.nodes)) {
          void this.persistGroup(group.groupId);
          for (const worker of this.workers.values())
            if (worker.claim?.groupId === group.groupId) this.killWorker(worker);
        }
        this.recovery.nodeDead(node.nodeId);
        this.schedule();
      }
    }
  }

  // ---- tasks -------------------------------------------------------------------------------

  /**
   * A submission from a driver in this process (embedded cluster): the same validation as a
   * message off the wire, without the trip through the server. False when it is too large to
   * forward as one frame (the caller then publishes it).
   */
  submitLocal(payload: Uint8Array): boolean {
    if (payload.byteLength + 1 > maxFrameBytes(this.nc)) return false;
    const parsed = TaskSpecSchema.safeParse(decode(payload));
    if (!parsed.success) throw new Error(`invalid task submission: ${parsed.error.message}`);
    const frame = new Uint8Array(payload.byteLength + 1);
    frame.set(payload, 1); // frame[0] = 0: a whole frame, forwarded to the worker as is
    this.onSubmitTask(parsed.data, frame);
    return true;
  }

  private onSubmitTask(spec: TaskSpec, frame: Uint8Array): void {
    if (this.hasEnded(spec.jobId)) {
      this.sendResult(spec.owner, spec.taskId, spec.fn.name, jobEndedError(spec.jobId), false);
      return;
    }
    if (frame[0] === 0) this.submittedFrames.set(spec, frame); // a whole (unchunked) frame
    if (!feasible(this.nodes.values(), spec.resources) && this.infeasible === 'fail') {
      const error = new InfeasibleResourcesError(
        `${spec.fn.name} needs {${formatResources(spec.resources)}} but no node has that much ` +
          `(nodes: ${[...this.nodes.values()].map((n) => `{${formatResources(n.total)}}`).join(', ') || 'none'})`,
        spec.resources,
      );
      this.sendResult(spec.owner, spec.taskId, spec.fn.name, error, false);
      return;
    }
    this.pendingTasks.push(spec);
    this.schedule();
  }

  private onTaskDone(workerId: string, taskId: string): void {
    const worker = this.workers.get(workerId);
    if (worker?.state === 'recovering') this.recovery.taskDone(worker, taskId);
    if (worker?.job?.kind !== 'task' || worker.job.spec.taskId !== taskId) return;
    this.release(worker);
    worker.job = undefined;
    const node = this.nodes.get(worker.nodeId);
    if (node && node.idleWorkers.length < this.maxIdleWorkersPerNode) {
      worker.state = 'idle';
      node.idleWorkers.push(workerId);
    } else {
      this.killWorker(worker);
    }
    this.schedule();
  }

  private sendResult(owner: string, objectId: string, name: string, error: Error, crashed: boolean): void {
    publishFramed(
      this.nc,
      Subjects.ownerResult(owner),
      encode({ objectId, ok: false, error: toWireError(error), name, crashed }),
    );
  }

  // ---- workers -----------------------------------------------------------------------------

  private onWorkerReady(workerId: string, pid: number, idle?: boolean): void {
    const worker = this.workers.get(workerId);
    // A worker without a job after a NATS disruption: the job sent to it was lost, send it again.
    if (idle && worker?.state === 'busy' && worker.job) {
      this.dispatch(worker, worker.job);
      return;
    }
    if (worker?.state !== 'starting') return;
    worker.pid = pid;
    if (worker.job) {
      worker.state = 'busy';
      this.dispatch(worker, worker.job);
    } else {
      worker.state = 'idle';
      this.nodes.get(worker.nodeId)?.idleWorkers.push(workerId);
      this.schedule();
    }
  }

  private onWorkerExited(workerId: string, code: number | null, signal: string | null): void {
    const worker = this.workers.get(workerId);
    if (!worker) return;
    this.workers.delete(workerId);
    const node = this.nodes.get(worker.nodeId);
    if (node) node.idleWorkers = node.idleWorkers.filter((id) => id !== workerId);
    this.release(worker);
    const job = worker.job;
    if (!job) return;
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    this.log.warn({ workerId, job: job.kind, how }, 'worker exited with a job');
    if (job.kind === 'task')
      this.retryOrFail(job.spec, `the worker running ${job.spec.fn.name} died (${how})`, job.argsDropped);
    else this.onActorWorkerLost(job.actorId, `the actor's worker process died (${how})`);
    this.schedule();
  }

  private retryOrFail(spec: TaskSpec, reason: string, argsDropped = false): void {
    const attempts = spec.attempt + 1;
    if (this.hasEnded(spec.jobId)) {
      this.sendResult(spec.owner, spec.taskId, spec.fn.name, jobEndedError(spec.jobId), false);
      return;
    }
    if (argsDropped) reason += '; it ran across a head restart and its arguments were too large to keep';
    else if (spec.maxRetries === -1 || spec.attempt < spec.maxRetries) {
      this.log.info({ taskId: spec.taskId, attempt: attempts }, 'retrying task');
      this.pendingTasks.push({ ...spec, attempt: attempts });
      return;
    }
    this.sendResult(
      spec.owner,
      spec.taskId,
      spec.fn.name,
      new WorkerCrashedError(`${reason}; no retries left after ${attempts} attempt(s)`, attempts),
      true,
    );
  }

  private release(worker: WorkerRecord): void {
    if (!worker.held) return;
    if (worker.claim) this.groups.release(worker.claim, worker.held, this.nodes, worker.nodeId);
    else {
      const node = this.nodes.get(worker.nodeId);
      if (node) add(node.available, worker.held);
    }
    worker.held = undefined;
    worker.claim = undefined;
  }

  private killWorker(worker: WorkerRecord): void {
    this.nc.publish(Subjects.nodeKillWorker(worker.nodeId), encode({ workerId: worker.workerId }));
  }

  // ---- scheduling --------------------------------------------------------------------------

  /** Places every pending actor and task that fits somewhere now; the rest keep waiting in order. */
  private schedule(): void {
    for (const group of this.groups.placePending(this.nodes)) {
      void this.persistGroup(group.groupId);
      for (const waiter of group.waiters.splice(0)) replyOk(waiter, { nodeIds: group.nodeIds });
    }
    for (let i = 0; i < this.pendingActors.length; ) {
      const actorId = this.pendingActors[i];
      const record = this.actors.get(actorId);
      if (!record || record.state === 'DEAD') {
        this.pendingActors.splice(i, 1);
        continue;
      }
      const place = this.reserve(record.spec.resources, record.spec.placement, false);
      if (place === 'wait') {
        i++;
        continue;
      }
      this.pendingActors.splice(i, 1);
      if ('error' in place) {
        this.setActorState(record, 'DEAD', place.error);
        continue;
      }
      record.nodeId = place.node.nodeId;
      record.claimIndex = place.claim?.index;
      void this.persistActor(actorId);
      this.startWorker(place.node, { kind: 'actor', actorId }, { ...record.spec.resources }, place.claim);
    }
    for (let i = 0; i < this.pendingTasks.length; ) {
      const spec = this.pendingTasks[i];
      const place = this.reserve(spec.resources, spec.placement, true);
      if (place === 'wait') {
        i++;
        continue;
      }
      this.pendingTasks.splice(i, 1);
      if ('error' in place) {
        this.sendResult(spec.owner, spec.taskId, spec.fn.name, new Error(place.error), false);
        continue;
      }
      const { node, claim } = place;
      const job: Job = { kind: 'task', spec };
      const idleId = node.idleWorkers.pop();
      const idle = idleId ? this.workers.get(idleId) : undefined;
      if (idle) {
        idle.state = 'busy';
        idle.job = job;
        idle.held = { ...spec.resources };
        idle.claim = claim;
        this.dispatch(idle, job);
      } else {
        this.startWorker(node, job, { ...spec.resources }, claim);
      }
    }
  }

  /** Takes a request's resources from a node, or from its placement-group bundle. */
  private reserve(
    request: Resources,
    placement: { groupId: string; bundleIndex: number } | undefined,
    wantIdleWorker: boolean,
  ): { node: NodeRecord; claim?: BundleClaim } | 'wait' | { error: string } {
    if (!placement) {
      const node = chooseNode(this.nodes.values(), request, wantIdleWorker);
      if (!node) return 'wait';
      subtract(node.available, request);
      return { node };
    }
    const claimed = this.groups.claim(placement.groupId, placement.bundleIndex, request);
    if (claimed === 'wait' || 'error' in claimed) return claimed;
    return { node: this.nodes.get(claimed.nodeId)!, claim: claimed.claim };
  }

  private startWorker(node: NodeRecord, job: Job, held: Resources, claim?: BundleClaim): void {
    const workerId = newId();
    this.workers.set(workerId, { workerId, nodeId: node.nodeId, state: 'starting', job, held, claim });
    request(this.nc, Subjects.nodeSpawn(node.nodeId), { workerId }, 30_000).catch((error: unknown) => {
      this.log.error({ err: error, nodeId: node.nodeId }, 'worker spawn failed');
      this.onWorkerExited(workerId, null, 'SPAWN_FAILED');
    });
  }

  private dispatch(worker: WorkerRecord, job: Job): void {
    if (job.kind === 'task') {
      const frame = this.submittedFrames.get(job.spec);
      if (frame) this.nc.publish(Subjects.workerTask(worker.workerId), frame);
      else publishFramed(this.nc, Subjects.workerTask(worker.workerId), encode(job.spec));
      return;
    }
    const record = this.actors.get(job.actorId);
    if (!record || record.state === 'DEAD') {
      this.killWorker(worker);
      return;
    }
    record.workerId = worker.workerId;
    void this.persistActor(record.spec.actorId);
    publishFramed(
      this.nc,
      Subjects.workerExec(worker.workerId),
      encode({ kind: 'actor', spec: record.spec, incarnation: record.incarnation }),
    );
  }

  // ---- actors ------------------------------------------------------------------------------

  private onActorCreate(spec: ActorSpec, msg: Msg): void {
    const existing = this.actors.get(spec.actorId);
    if (existing) {
      // A repeat of a create whose reply was lost to a NATS disruption (see protocol/rpc.ts).
      if (existing.spec.owner === spec.owner) replyOk(msg, { actorId: spec.actorId });
      else replyError(msg, new Error(`actor ${spec.actorId} already exists`));
      return;
    }
    if (this.hasEnded(spec.jobId)) {
      replyError(msg, jobEndedError(spec.jobId));
      return;
    }
    if (spec.name !== undefined) {
      const existing = this.names.get(spec.name);
      if (existing && this.actors.get(existing)?.state !== 'DEAD') {
        replyError(msg, new Error(`an actor named '${spec.name}' already exists`));
        return;
      }
    }
    if (!feasible(this.nodes.values(), spec.resources) && this.infeasible === 'fail') {
      replyError(
        msg,
        new InfeasibleResourcesError(
          `actor ${spec.cls.name} needs {${formatResources(spec.resources)}} but no node has that much`,
          spec.resources,
        ),
      );
      return;
    }
    this.actors.set(spec.actorId, { spec, state: 'PENDING', incarnation: 0, restarts: 0 });
    if (spec.name !== undefined) this.names.set(spec.name, spec.actorId);
    this.pendingActors.push(spec.actorId);
    // The creator hears of its actor only once it is stored: a head restart cannot lose it.
    const stored = this.persistActor(spec.actorId);
    if (stored) void stored.then(() => replyOk(msg, { actorId: spec.actorId }));
    else replyOk(msg, { actorId: spec.actorId });
    this.schedule();
  }

  private onActorReady(m: { actorId: string; workerId: string; incarnation: number; error?: unknown }): void {
    const record = this.actors.get(m.actorId);
    if (!record || record.incarnation !== m.incarnation || record.workerId !== m.workerId) return;
    if (m.error) {
      // The constructor threw: an application error, not retried.
      record.error = m.error as ActorRecord['error'];
      this.setActorState(record, 'DEAD', `the constructor of ${record.spec.cls.name} threw`);
      const worker = this.workers.get(m.workerId);
      if (worker) {
        this.killWorker(worker);
        return;
      }
    }
    this.setActorState(record, 'ALIVE');
  }

  private onActorWorkerLost(actorId: string, reason: string): void {
    const record = this.actors.get(actorId);
    if (!record || record.state === 'DEAD') return;
    record.workerId = undefined;
    const { maxRestarts } = record.spec;
    if (maxRestarts === -1 || record.restarts < maxRestarts) {
      record.restarts++;
      record.incarnation++;
      this.setActorState(record, 'RESTARTING', `${reason}; restart ${record.restarts}`);
      this.pendingActors.push(actorId);
    } else {
      this.setActorState(record, 'DEAD', `${reason}; maxRestarts (${maxRestarts}) reached`);
    }
  }

  private onActorKill(actorId: string, noRestart: boolean, msg: Msg): void {
    const record = this.actors.get(actorId);
    if (!record) {
      replyError(msg, new ActorDiedError(actorId, `no actor ${actorId}`));
      return;
    }
    const worker = record.workerId ? this.workers.get(record.workerId) : undefined;
    if (noRestart) this.setActorState(record, 'DEAD', 'killed by kill()');
    if (worker) this.killWorker(worker);
    replyOk(msg);
  }

  /**
   * A submitted job's entrypoint ended (stopped, failed or done): what the job started goes with
   * it, as a Ray job's actors and tasks go with its driver. Its actors die without restart
   * (detached ones carry no job), queued tasks are dropped, running ones are killed without
   * retry, and whatever it submits from now on is refused.
   */
  private hasEnded(jobId: string | undefined): jobId is string {
    return jobId !== undefined && this.endedJobs.has(jobId);
  }

  private onJobEnded(jobId: string): void {
    if (this.endedJobs.has(jobId)) return;
    this.endedJobs.add(jobId);
    this.drivers.forget(jobId);
    if (this.endedJobs.size > MAX_ENDED_JOBS) this.endedJobs.delete(this.endedJobs.values().next().value!);
    let actors = 0;
    for (const record of this.actors.values()) {
      if (record.spec.jobId !== jobId || record.state === 'DEAD') continue;
      const worker = record.workerId ? this.workers.get(record.workerId) : undefined;
      this.setActorState(record, 'DEAD', `its job ${jobId} ended`);
      if (worker) this.killWorker(worker);
      actors++;
    }
    const queued = this.pendingTasks.filter((spec) => spec.jobId === jobId);
    for (const spec of queued) {
      this.pendingTasks.splice(this.pendingTasks.indexOf(spec), 1);
      this.sendResult(spec.owner, spec.taskId, spec.fn.name, jobEndedError(jobId), false);
    }
    let running = 0;
    for (const worker of this.workers.values()) {
      if (worker.job?.kind === 'task' && worker.job.spec.jobId === jobId) {
        this.killWorker(worker); // its exit fails the task: retryOrFail sees the ended job
        running++;
      }
    }
    this.log.info(
      { jobId, actors, queuedTasks: queued.length, runningTasks: running },
      'job ended: its work stopped',
    );
    this.schedule();
  }

  private onActorState(actorId: string, msg: Msg): void {
    const record = this.actors.get(actorId);
    if (!record) {
      replyError(msg, new ActorDiedError(actorId, `no actor ${actorId} in this cluster`));
      return;
    }
    replyOk(msg, this.actorEvent(record));
  }

  private onActorLookup(name: string, msg: Msg): void {
    const actorId = this.names.get(name);
    const record = actorId ? this.actors.get(actorId) : undefined;
    if (!record || record.state === 'DEAD') {
      replyError(msg, new Error(`no live actor named '${name}'`));
      return;
    }
    replyOk(msg, { actorId: record.spec.actorId, cls: record.spec.cls });
  }

  private setActorState(record: ActorRecord, state: ActorRecord['state'], reason?: string): void {
    record.state = state;
    record.reason = reason;
    if (state === 'DEAD') {
      if (record.spec.name !== undefined && this.names.get(record.spec.name) === record.spec.actorId) {
        this.names.delete(record.spec.name);
      }
    }
    this.log.info({ actorId: record.spec.actorId, state, reason }, 'actor state');
    void this.persistActor(record.spec.actorId);
    this.nc.publish(`${Subjects.actorEvents}.${record.spec.actorId}`, encode(this.actorEvent(record)));
  }

  private actorEvent(record: ActorRecord) {
    return {
      actorId: record.spec.actorId,
      state: record.state,
      incarnation: record.incarnation,
      error: record.error,
      reason: record.reason,
    };
  }

  // ---- placement groups ----------------------------------------------------------------------

  private onGroupCreate(
    m: {
      groupId: string;
      bundles: Resources[];
      strategy: 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD';
      name?: string;
    },
    msg: Msg,
  ): void {
    if (this.groups.groups.has(m.groupId)) {
      // Ids are the creator's random ones: a repeat of a create whose reply was lost.
      replyOk(msg, { groupId: m.groupId });
      return;
    }
    if (
      this.infeasible === 'fail' &&
      !this.groups.feasible([...this.nodes.values()], m.bundles, m.strategy)
    ) {
      replyError(
        msg,
        new InfeasibleResourcesError(
          `placement group ${m.strategy} [${m.bundles.map((b) => `{${formatResources(b)}}`).join(', ')}] cannot fit ` +
            `the cluster's nodes (${[...this.nodes.values()]
              .filter((n) => n.alive)
              .map((n) => `{${formatResources(n.total)}}`)
              .join(', ')})`,
          {},
        ),
      );
      return;
    }
    this.groups.create(m.groupId, m.bundles, m.strategy, m.name);
    const stored = this.persistGroup(m.groupId);
    if (stored) void stored.then(() => replyOk(msg, { groupId: m.groupId }));
    else replyOk(msg, { groupId: m.groupId });
    this.schedule();
  }

  private onGroupWait(groupId: string, msg: Msg): void {
    const group = this.groups.groups.get(groupId);
    if (!group || group.state === 'REMOVED') {
      replyError(msg, new Error(`no placement group ${groupId}`));
      return;
    }
    if (group.state === 'CREATED') {
      replyOk(msg, { nodeIds: group.nodeIds });
      return;
    }
    group.waiters.push(msg);
  }

  private onGroupRemove(groupId: string, msg: Msg): void {
    const group = this.groups.remove(groupId, this.nodes);
    if (group) {
      void this.persistGroup(groupId);
      for (const waiter of group.waiters.splice(0))
        replyError(waiter, new Error(`placement group ${groupId} was removed`));
      for (const record of this.actors.values()) {
        if (record.spec.placement?.groupId !== groupId || record.state === 'DEAD') continue;
        this.setActorState(record, 'DEAD', 'its placement group was removed');
        const worker = record.workerId ? this.workers.get(record.workerId) : undefined;
        if (worker) this.killWorker(worker);
      }
    }
    replyOk(msg);
    this.schedule();
  }

  // ---- status ------------------------------------------------------------------------------

  /** Running (or starting) and pending tasks, for `manta list tasks`; at most `limit` of each. */
  taskList(limit = 2000) {
    const running = [...this.workers.values()].flatMap((w) =>
      w.job?.kind === 'task' ? [{ spec: w.job.spec, worker: w }] : [],
    );
    const row = (spec: TaskSpec, state: string, worker?: { workerId: string; nodeId: string }) => ({
      taskId: spec.taskId,
      name: spec.fn.name,
      module: spec.fn.module,
      key: spec.fn.key,
      state,
      nodeId: worker?.nodeId,
      workerId: worker?.workerId,
      attempt: spec.attempt,
      owner: spec.owner,
      resources: spec.resources,
    });
    return {
      tasks: [
        ...running
          .slice(0, limit)
          .map(({ spec, worker }) => row(spec, worker.state === 'busy' ? 'RUNNING' : 'STARTING', worker)),
        ...this.pendingTasks.slice(0, limit).map((spec) => row(spec, 'PENDING')),
      ],
      running: running.length,
      pending: this.pendingTasks.length,
    };
  }

  /** Those of an owner's task ids this head neither queues nor runs (lost in a head restart). */
  private unknownTasks(taskIds: string[]): string[] {
    const known = new Set(this.pendingTasks.map((t) => t.taskId));
    for (const worker of this.workers.values())
      if (worker.job?.kind === 'task') known.add(worker.job.spec.taskId);
    return taskIds.filter((id) => !known.has(id));
  }

  status() {
    return {
      head: { epoch: this.epoch, recovering: this.recovery.recovering },
      nodes: [...this.nodes.values()].map((n) => ({
        nodeId: n.nodeId,
        hostname: n.hostname,
        alive: n.alive,
        total: n.total,
        available: n.available,
        workers: [...this.workers.values()].filter((w) => w.nodeId === n.nodeId).length,
      })),
      actors: [...this.actors.values()].map((a) => ({
        actorId: a.spec.actorId,
        className: a.spec.cls.name,
        name: a.spec.name,
        state: a.state,
        nodeId: a.nodeId,
        restarts: a.restarts,
        resources: a.spec.resources,
      })),
      pendingTasks: this.pendingTasks.length,
      pendingActors: this.pendingActors.length,
      pendingDemands: [
        ...this.pendingTasks.map((t) => t.resources),
        ...this.pendingActors.map((id) => this.actors.get(id)?.spec.resources ?? {}),
      ],
      runningTasks: [...this.workers.values()].filter((w) => w.job?.kind === 'task').length,
      placementGroups: this.groups.status(),
    };
  }
}

export type ClusterStatus = ReturnType<Head['status']>;
export type TaskList = ReturnType<Head['taskList']>;
