import { randomBytes } from 'node:crypto';
import { ConfigError, get, kill, RuntimeStateError } from '@manta/core';
import { currentRuntime, encode, serve } from '@manta/core/internal';
import {
  ReportReply,
  type StartTrialRequest,
  type Trainable,
  type TrialExecutor,
  type TrialExit,
  type TrialSink,
} from '../executor/index.ts';
import { type TrialMessage, TrialMessageSchema, trialSubject } from './protocol.ts';
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
}

interface IdleActor {
  readonly handle: TrialRunnerHandle;
  readonly timer: NodeJS.Timeout;
}

/**
 * Runs each trial in its own cluster actor process holding the trial's resources, so trials
 * queue when the cluster is full. Reports travel over NATS request/reply on a subject per
 * executor; the trial waits for CONTINUE/PAUSE/STOP. An actor whose process dies is an errored
 * trial. The trainable must be declared with `trainable(import.meta.url, fn)`.
 */
export class ActorTrialExecutor implements TrialExecutor {
  private readonly id = randomBytes(6).toString('hex');
  private readonly subject = trialSubject(this.id);
  private readonly resources: Record<string, number>;
  private readonly live = new Map<string, LiveTrial>();
  private readonly idle: IdleActor[] = [];
  private readonly options: Required<Omit<ActorTrialExecutorOptions, 'resources'>>;
  private subscription: Subscription | undefined;
  private closed = false;

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
    let reply: ReportReply = ReportReply.Stop; // a stale or unknown trial process: end it
    if (live && live.token === message.token) {
      live.waiting = false;
      try {
        if (message.kind === 'checkpoint') {
          await live.sink.checkpoint(message.trialId, message.checkpoint);
          reply = live.stopping ? ReportReply.Stop : ReportReply.Continue;
        } else if (!live.stopping) {
          reply = await live.sink.report(message.trialId, {
            metrics: message.metrics,
            checkpoint: message.checkpoint,
          });
        }
      } catch (error) {
        live.failure ??= error;
        reply = ReportReply.Stop;
      }
    }
    msg.respond(encode({ reply }));
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
    // An idle actor holds its resources: give them back soon if no trial takes it, sooner when
    // a new actor may be queued for them (a trial on a new actor that has not spoken yet).
    const queued = [...this.live.values()].some((l) => l.waiting);
    const timer = setTimeout(
      () => {
        const at = this.idle.findIndex((i) => i.handle === handle);
        if (at >= 0) this.idle.splice(at, 1);
        void kill(handle).catch(() => {});
      },
      queued ? Math.min(250, this.options.idleMs) : this.options.idleMs,
    );
    timer.unref();
    this.idle.push({ handle, timer });
  }

  async start(request: StartTrialRequest, sink: TrialSink): Promise<TrialExit> {
    this.listen();
    const live: LiveTrial = {
      token: randomBytes(6).toString('hex'),
      sink,
      handle: undefined,
      stopping: false,
      killTimer: undefined,
      failure: undefined,
      waiting: false,
    };
    this.live.set(request.trialId, live);
    let handle: TrialRunnerHandle | undefined;
    try {
      handle = await this.acquire(live);
      live.handle = handle;
      if (live.stopping) this.scheduleKill(live);
      const kind = await get(
        handle.run.remote({
          trainable: trainableMeta(this.trainable).descriptor!,
          request,
          subject: this.subject,
          token: live.token,
          reuseInstances: this.options.reuseInstances,
          replyTimeoutMs: this.options.replyTimeoutMs,
        }),
      );
      clearTimeout(live.killTimer);
      live.waiting = false;
      const reusable = handle;
      handle = undefined;
      this.release(reusable);
      if (live.failure !== undefined) return { kind: 'errored', error: live.failure };
      return { kind: live.stopping ? 'stopped' : kind };
    } catch (error) {
      live.waiting = false;
      if (live.failure !== undefined) return { kind: 'errored', error: live.failure };
      // A trial that was being stopped may be killed on the way: that is a stop, not a failure.
      if (live.stopping) return { kind: 'stopped' };
      return { kind: 'errored', error };
    } finally {
      clearTimeout(live.killTimer);
      if (handle) await kill(handle).catch(() => {});
      if (this.live.get(request.trialId) === live) this.live.delete(request.trialId);
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
