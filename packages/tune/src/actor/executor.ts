import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  clusterStatus,
  get,
  kill,
  type ObjectRef,
  put,
  RuntimeStateError,
  TaskError,
} from '@manta/core';
import { currentRuntime, encode, serve } from '@manta/core/internal';
import {
  ReportReply,
  type StartTrialRequest,
  type Trainable,
  type TrialExecutor,
  type TrialExit,
  type TrialSink,
} from '../executor/index.ts';
import type { TrialMetrics } from '../search/index.ts';
import { type CheckpointTransfer, type PackedDir, packDir, unpackDir } from './checkpoint_transfer.ts';
import {
  type CheckpointHandoff,
  type TrialMessage,
  TrialMessageSchema,
  type TrialReplyMessage,
  trialSubject,
} from './protocol.ts';
import { TrialRunner, type TrialRunnerHandle } from './runner.ts';
import { type TrialResources, trainableMeta } from './trainable.ts';

export interface ActorTrialExecutorOptions {
  /** What each trial's actor holds; default the trainable's withResources(), else `{ CPU: 1 }`. */
  readonly resources?: TrialResources;
  /** Run the next trial in a finished trial's process instead of starting a new one (default true). */
  readonly reuseActors?: boolean;
  /** Class trainables: also keep the instance and hand it the next config through resetConfig. */
  readonly reuseInstances?: boolean;
  /** After stop(), how long a trial may take to reach its next report before its actor is killed. */
  readonly stopGraceMs?: number;
  /** How long an idle actor waits for the next trial before it is killed (its resources freed). */
  readonly idleMs?: number;
  /** How long a trial waits for the controller's reply to one report. */
  readonly replyTimeoutMs?: number;
  /**
   * How checkpoints cross between trial processes and the experiment: `auto` (default) lets a
   * trial process write into the experiment when it reaches it (S3, or the same folder on its
   * machine) and hand the files over through the object store otherwise; `objectStore` always
   * hands them over (for a driver-local folder on a cluster without a shared filesystem).
   */
  readonly checkpointTransfer?: CheckpointTransfer;
}

type Subscription = ReturnType<typeof serve>;
type Msg = Parameters<Parameters<typeof serve>[4]>[1];

interface LiveTrial {
  readonly token: string;
  readonly sink: TrialSink;
  handle: TrialRunnerHandle | undefined;
  stopping: boolean;
  killTimer: NodeJS.Timeout | undefined;
  /** The controller failed to take a report: the trial ends as errored with this. */
  failure: unknown;
  /** On a new actor that has not spoken yet: it may be waiting for resources. */
  waiting: boolean;
  /** Checkpoint files sent to the trial (kept alive until the trial ends). */
  readonly sent: ObjectRef[];
  /** The trials run in the same call as this one (startBatch). */
  batch: LiveTrial[] | undefined;
}

interface IdleActor {
  readonly handle: TrialRunnerHandle;
  timer: NodeJS.Timeout;
}

/**
 * Runs each trial in its own cluster actor process holding the trial's resources, so trials
 * queue when the cluster is full. Reports travel over NATS request/reply on a subject per
 * executor; the trial waits for CONTINUE/PAUSE/STOP. An actor whose process dies is an errored
 * trial. The trainable must be declared with `trainable(import.meta.url, fn)`.
 */
export class ActorTrialExecutor implements TrialExecutor {
  readonly remoteTrials = true;
  private readonly id = randomBytes(6).toString('hex');
  private readonly subject = trialSubject(this.id);
  private readonly resources: Record<string, number>;
  private readonly live = new Map<string, LiveTrial>();
  private readonly idle: IdleActor[] = [];
  private readonly options: Required<Omit<ActorTrialExecutorOptions, 'resources'>>;
  private subscription: Subscription | undefined;
  private closed = false;
  private starts = 0;

  constructor(
    private readonly trainable: Trainable,
    options: ActorTrialExecutorOptions = {},
  ) {
    if (!trainableMeta(trainable).descriptor) {
      throw new ConfigError(
        'ActorTrialExecutor: declare the trainable with trainable(import.meta.url, fn) at the top level of a module, so trial processes can find it',
        ['trainable'],
      );
    }
    this.resources = { CPU: 1, ...(options.resources ?? trainableMeta(trainable).resources ?? {}) };
    this.options = {
      reuseActors: options.reuseActors ?? true,
      reuseInstances: options.reuseInstances ?? false,
      stopGraceMs: options.stopGraceMs ?? 5_000,
      idleMs: options.idleMs ?? 1_000,
      replyTimeoutMs: options.replyTimeoutMs ?? 30 * 60_000,
      checkpointTransfer: options.checkpointTransfer ?? 'auto',
    };
  }

  private listen(): void {
    if (this.subscription) return;
    const runtime = currentRuntime();
    if (!runtime) throw new RuntimeStateError('call init() before running trials on the cluster');
    this.subscription = serve(runtime.nc, this.subject, TrialMessageSchema, runtime.log, (m, msg) =>
      this.onMessage(m, msg),
    );
  }

  private async onMessage(message: TrialMessage, msg: Msg): Promise<void> {
    const live = this.live.get(message.trialId);
    let answer: TrialReplyMessage = { reply: ReportReply.Stop }; // a stale or unknown trial process: end it
    if (live && live.token === message.token) {
      live.waiting = false;
      try {
        answer = await this.answer(live, message);
      } catch (error) {
        live.failure ??= error;
        answer = { reply: ReportReply.Stop };
      }
    }
    msg.respond(encode(answer));
  }

  private async answer(live: LiveTrial, message: TrialMessage): Promise<TrialReplyMessage> {
    const { trialId } = message;
    const { sink } = live;
    const next = () => sink.nextCheckpointPath?.(trialId);
    switch (message.kind) {
      case 'report': {
        if (live.stopping) return { reply: ReportReply.Stop };
        const reply = await this.withCheckpoint(message.checkpoint, (checkpoint) =>
          sink.report(trialId, { metrics: message.metrics, ...checkpoint }),
        );
        return { reply, checkpointPath: next() };
      }
      case 'results': {
        let reply: ReportReply = ReportReply.Continue;
        for (const metrics of message.results) {
          if (live.stopping || reply !== ReportReply.Continue) break;
          reply = await sink.report(trialId, { metrics });
        }
        return { reply: live.stopping ? ReportReply.Stop : reply };
      }
      case 'checkpoint': {
        await this.withCheckpoint(message.checkpoint, (c) =>
          sink.checkpoint(
            trialId,
            c.storedCheckpoint ? { stored: c.storedCheckpoint } : (c.checkpoint as string),
          ),
        );
        return { reply: live.stopping ? ReportReply.Stop : ReportReply.Continue, checkpointPath: next() };
      }
      case 'fetch': {
        const dir = await sink.localCheckpoint?.(message.path);
        if (!dir) return { reply: ReportReply.Continue, error: 'this tuner cannot send checkpoint files' };
        const files = put(await packDir(dir));
        live.sent.push(files);
        return { reply: ReportReply.Continue, files };
      }
    }
  }

  /** Hands a trial's checkpoint to `use` as a stored path or a local folder (unpacked from the object store). */
  private async withCheckpoint<T>(
    handoff: CheckpointHandoff | undefined,
    use: (checkpoint: { checkpoint?: string; storedCheckpoint?: string }) => Promise<T>,
  ): Promise<T> {
    if (!handoff) return use({});
    if ('stored' in handoff) return use({ storedCheckpoint: handoff.stored });
    const dir = await mkdtemp(join(tmpdir(), 'manta-tune-handoff-'));
    try {
      await unpackDir((await get(handoff.ref)) as PackedDir, dir);
      return await use({ checkpoint: dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  private async acquire(live: LiveTrial): Promise<TrialRunnerHandle> {
    const reused = this.idle.pop();
    if (reused) {
      clearTimeout(reused.timer);
      return reused.handle;
    }
    live.waiting = true;
    const { CPU, GPU, ...custom } = this.resources;
    return TrialRunner.options({ numCpus: CPU, numGpus: GPU, resources: custom }).remote();
  }

  private release(handle: TrialRunnerHandle): void {
    if (!this.options.reuseActors || this.closed) {
      void kill(handle).catch(() => {});
      return;
    }
    const idle: IdleActor = { handle, timer: setTimeout(() => this.retire(idle), this.options.idleMs) };
    idle.timer.unref();
    this.idle.push(idle);
    // An idle actor holds its resources. While a trial of ours waits for a new actor, check
    // whether the cluster has an actor queued for resources: then give them back at once.
    // Killing it on suspicion alone would throw away warm processes whenever trials start
    // together (each asks for its own actor before any is free) on a cluster with room.
    if ([...this.live.values()].some((l) => l.waiting)) void this.retireIfActorsQueue(idle);
  }

  private async retireIfActorsQueue(idle: IdleActor): Promise<void> {
    const until = Date.now() + this.options.idleMs;
    while (this.idle.includes(idle) && Date.now() < until) {
      const status = await clusterStatus().catch(() => undefined);
      if (!this.idle.includes(idle)) return;
      if (!status || status.pendingActors > 0) {
        this.retire(idle);
        return;
      }
      if (![...this.live.values()].some((l) => l.waiting)) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250, this.options.idleMs)).unref());
    }
  }

  /** An idle actor no trial took: killed, its resources back to the cluster. */
  private retire(idle: IdleActor): void {
    clearTimeout(idle.timer);
    const at = this.idle.indexOf(idle);
    if (at >= 0) this.idle.splice(at, 1);
    void kill(idle.handle).catch(() => {});
  }

  private register(request: StartTrialRequest, sink: TrialSink): LiveTrial {
    const live: LiveTrial = {
      token: `${this.id}.${++this.starts}`,
      sink,
      handle: undefined,
      stopping: false,
      killTimer: undefined,
      failure: undefined,
      waiting: false,
      sent: [],
      batch: undefined,
    };
    this.live.set(request.trialId, live);
    return live;
  }

  private common() {
    return {
      trainable: trainableMeta(this.trainable).descriptor!,
      subject: this.subject,
      reuseInstances: this.options.reuseInstances,
      replyTimeoutMs: this.options.replyTimeoutMs,
      checkpointTransfer: this.options.checkpointTransfer,
    };
  }

  /** The trial's code has ended with `kind`: take the results it had not sent yet, then say how it ended. */
  private async settle(
    request: StartTrialRequest,
    live: LiveTrial,
    kind: 'finished' | 'stopped',
    results: readonly TrialMetrics[],
  ): Promise<TrialExit> {
    for (const metrics of results) {
      if (live.failure !== undefined) break;
      try {
        if ((await live.sink.report(request.trialId, { metrics })) !== ReportReply.Continue) break;
      } catch (error) {
        live.failure ??= error;
      }
    }
    if (live.failure !== undefined) return { kind: 'errored', error: live.failure };
    return { kind: live.stopping ? 'stopped' : kind };
  }

  /** The call running the trial failed (its process died, or the trial threw). */
  private failed(live: LiveTrial, error: unknown): TrialExit {
    live.waiting = false;
    if (live.failure !== undefined) return { kind: 'errored', error: live.failure };
    // A trial that was being stopped may be killed on the way: that is a stop, not a failure.
    if (live.stopping) return { kind: 'stopped' };
    return { kind: 'errored', error };
  }

  async start(request: StartTrialRequest, sink: TrialSink): Promise<TrialExit> {
    this.listen();
    const live = this.register(request, sink);
    let handle: TrialRunnerHandle | undefined;
    try {
      handle = await this.acquire(live);
      live.handle = handle;
      if (live.stopping) this.scheduleKill(live);
      // The runtime's get: no option parsing per trial (init() was checked by listen()).
      const { kind, results } = await currentRuntime()!.get(
        handle.run.remote({
          ...this.common(),
          request,
          token: live.token,
          checkpointPath: sink.nextCheckpointPath?.(request.trialId),
        }),
      );
      clearTimeout(live.killTimer);
      live.waiting = false;
      const reusable = handle;
      handle = undefined;
      this.release(reusable);
      // Results the trial streamed but had not sent yet: taken in order, before the exit.
      return await this.settle(request, live, kind, results);
    } catch (error) {
      return this.failed(live, error);
    } finally {
      clearTimeout(live.killTimer);
      if (handle) await kill(handle).catch(() => {});
      if (this.live.get(request.trialId) === live) this.live.delete(request.trialId);
    }
  }

  /** Short streamed trials per call at most (reuseActors only: the batch runs in one process). */
  get maxBatch(): number {
    return this.options.reuseActors ? 8 : 1;
  }

  /**
   * Runs the trials one after the other in one trial process, with one call: a sweep of short
   * trials then costs one message each way per batch, not per trial. Each trial still has its
   * own token and exit; the exits come when the batch ends.
   */
  startBatch(requests: readonly StartTrialRequest[], sink: TrialSink): Promise<TrialExit>[] {
    this.listen();
    const lives = requests.map((request) => this.register(request, sink));
    for (const live of lives) live.batch = lives;
    const exits = this.runBatch(requests, lives);
    return requests.map((_, i) => exits.then((all) => all[i]));
  }

  private async runBatch(requests: readonly StartTrialRequest[], lives: LiveTrial[]): Promise<TrialExit[]> {
    let handle: TrialRunnerHandle | undefined;
    try {
      handle = await this.acquire(lives[0]);
      for (const live of lives) live.handle = handle;
      if (lives.every((l) => l.stopping)) this.scheduleKill(lives[0]);
      const outcomes = await currentRuntime()!.get(
        handle.runBatch.remote({
          ...this.common(),
          trials: requests.map((request, i) => ({
            request,
            token: lives[i].token,
            checkpointPath: lives[i].sink.nextCheckpointPath?.(request.trialId),
          })),
        }),
      );
      for (const live of lives) {
        clearTimeout(live.killTimer);
        live.waiting = false;
      }
      const reusable = handle;
      handle = undefined;
      this.release(reusable);
      const exits: TrialExit[] = [];
      for (let i = 0; i < requests.length; i++) {
        const outcome = outcomes[i];
        if (outcome?.kind === 'errored') {
          const { name, message, stack } = outcome.error;
          exits.push(this.failed(lives[i], new TaskError('runBatch', name, message, stack)));
        } else if (outcome) {
          exits.push(await this.settle(requests[i], lives[i], outcome.kind, outcome.results));
        } else {
          exits.push(this.failed(lives[i], new Error('the trial process did not run this trial')));
        }
      }
      return exits;
    } catch (error) {
      return lives.map((live) => this.failed(live, error));
    } finally {
      for (const live of lives) clearTimeout(live.killTimer);
      if (handle) await kill(handle).catch(() => {});
      requests.forEach((request, i) => {
        if (this.live.get(request.trialId) === lives[i]) this.live.delete(request.trialId);
      });
    }
  }

  private scheduleKill(live: LiveTrial): void {
    if (!live.handle || live.killTimer) return;
    const handle = live.handle;
    live.killTimer = setTimeout(() => void kill(handle).catch(() => {}), this.options.stopGraceMs);
  }

  stop(trialId: string): void {
    const live = this.live.get(trialId);
    if (!live) return;
    live.stopping = true;
    // A batch's process runs other trials too: it is killed only once all of them are stopping.
    if (live.batch && !live.batch.every((l) => l.stopping)) return;
    this.scheduleKill(live);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    const handles = [
      ...[...this.live.values()].flatMap((l) => {
        l.stopping = true;
        return l.handle ? [l.handle] : [];
      }),
      ...this.idle.splice(0).map((i) => {
        clearTimeout(i.timer);
        return i.handle;
      }),
    ];
    await Promise.all(handles.map((h) => kill(h).catch(() => {})));
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }
}
