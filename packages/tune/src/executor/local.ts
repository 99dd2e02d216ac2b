import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrialConfig, TrialMetrics } from '../search/index.ts';
import { runInSession, TrialInterrupt, type TrialSession } from './session.ts';
import {
  type FunctionTrainable,
  ReportReply,
  type StartTrialRequest,
  type Trainable,
  type TrainableClass,
  type TrainableInstance,
  type TrialExecutor,
  type TrialExit,
  type TrialSink,
} from './types.ts';

export interface LocalTrialExecutorOptions {
  /** Keep class-trainable instances and hand them the next trial via resetConfig. */
  readonly reuseActors?: boolean;
}

export function isTrainableClass(trainable: Trainable): trainable is TrainableClass {
  return typeof trainable === 'function' && typeof trainable.prototype?.step === 'function';
}

/** The trainable's name for trial names and folders. */
export function trainableName(trainable: Trainable): string {
  return trainable.name || 'trainable';
}

function isPlainObject(v: unknown): v is TrialMetrics {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Runs function and class trainables in this process (concurrency is the controller's call).
 * Function trainables report through the async-local session, so `report`/`getCheckpoint`
 * are free functions; class trainables are stepped here.
 */
export class LocalTrialExecutor implements TrialExecutor {
  private readonly stopRequested = new Set<string>();
  private readonly idle: TrainableInstance[] = [];
  private readonly reuseActors: boolean;

  constructor(
    private readonly trainable: Trainable,
    options: LocalTrialExecutorOptions = {},
  ) {
    this.reuseActors = options.reuseActors ?? false;
  }

  stop(trialId: string): void {
    this.stopRequested.add(trialId);
  }

  async start(request: StartTrialRequest, sink: TrialSink): Promise<TrialExit> {
    this.stopRequested.delete(request.trialId);
    try {
      return isTrainableClass(this.trainable)
        ? await this.runClass(this.trainable, request, sink)
        : await this.runFunction(this.trainable as FunctionTrainable, request, sink);
    } finally {
      this.stopRequested.delete(request.trialId);
    }
  }

  private async runFunction(
    fn: FunctionTrainable,
    request: StartTrialRequest,
    sink: TrialSink,
  ): Promise<TrialExit> {
    let ended = false;
    const { trialId } = request;
    let dirMade = false;
    const session: TrialSession = {
      trialId,
      trialName: request.trialName,
      experimentName: request.experimentName,
      // Made on first use: a trial process may get the path of a folder not made yet.
      get trialDir() {
        if (!dirMade) {
          dirMade = true;
          try {
            mkdirSync(request.trialDir, { recursive: true });
          } catch {
            // not ours to make (another machine's path): the trainable finds out if it writes
          }
        }
        return request.trialDir;
      },
      iteration: request.iteration,
      checkpoint: request.checkpoint,
      report: async (metrics, options) => {
        if (ended || this.stopRequested.has(trialId)) {
          ended = true;
          throw new TrialInterrupt(trialId);
        }
        const reply = await sink.report(trialId, { metrics, checkpoint: options?.checkpoint });
        if (reply !== ReportReply.Continue || this.stopRequested.has(trialId)) {
          ended = true;
          throw new TrialInterrupt(trialId);
        }
      },
    };
    try {
      const returned = await runInSession(session, () => fn(structuredClone(request.config)));
      if (ended) return { kind: 'stopped' };
      if (isPlainObject(returned)) await session.report(returned);
      return { kind: 'finished' };
    } catch (error) {
      if (error instanceof TrialInterrupt || ended) return { kind: 'stopped' };
      return { kind: 'errored', error };
    }
  }

  private async instanceFor(cls: TrainableClass, config: TrialConfig): Promise<TrainableInstance> {
    const reused = this.idle.pop();
    if (reused) {
      if (reused.resetConfig && (await reused.resetConfig(structuredClone(config)))) return reused;
      await reused.cleanup?.();
    }
    const instance = new cls();
    await instance.setup?.(structuredClone(config));
    return instance;
  }

  private async runClass(
    cls: TrainableClass,
    request: StartTrialRequest,
    sink: TrialSink,
  ): Promise<TrialExit> {
    const { trialId } = request;
    let instance: TrainableInstance | undefined;
    let healthy = false;
    const save = async (): Promise<string | undefined> => {
      if (!instance?.saveCheckpoint) return undefined;
      const dir = await mkdtemp(join(tmpdir(), 'manta-ckpt-'));
      await instance.saveCheckpoint(dir);
      return dir;
    };
    const saveOutside = async () => {
      const dir = await save();
      if (!dir) return;
      try {
        await sink.checkpoint(trialId, dir);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };
    try {
      instance = await this.instanceFor(cls, request.config);
      if (request.checkpoint) await instance.loadCheckpoint?.(request.checkpoint);
      for (let n = request.iteration + 1; ; n++) {
        if (this.stopRequested.has(trialId)) {
          if (request.checkpointAtEnd) await saveOutside();
          healthy = true;
          return { kind: 'stopped' };
        }
        const metrics = await instance.step();
        const done = metrics.done === true;
        const every = request.checkpointFrequency;
        const dir =
          (every > 0 && n % every === 0) || (done && request.checkpointAtEnd) ? await save() : undefined;
        let reply: ReportReply;
        try {
          reply = await sink.report(trialId, { metrics, checkpoint: dir });
        } finally {
          if (dir) await rm(dir, { recursive: true, force: true });
        }
        if (done) {
          healthy = true;
          return { kind: 'finished' };
        }
        if (reply !== ReportReply.Continue) {
          if (reply === ReportReply.Pause || request.checkpointAtEnd) await saveOutside();
          healthy = true;
          return { kind: 'stopped' };
        }
      }
    } catch (error) {
      return { kind: 'errored', error };
    } finally {
      if (instance && healthy && this.reuseActors && instance.resetConfig) this.idle.push(instance);
      else await instance?.cleanup?.();
    }
  }

  async shutdown(): Promise<void> {
    const idle = this.idle.splice(0);
    await Promise.all(idle.map((i) => i.cleanup?.()));
  }
}
