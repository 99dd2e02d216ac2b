/**
 * The training worker: an actor per rank, in its own process. It picks the tfjs backend, joins
 * the run's collective group, and runs the user's training loop inside a TrainSession whose
 * `report` persists rank 0's checkpoints and forwards rank 0's metrics to the driver.
 */
import { actor, type CollectiveGroup, createCollectiveGroup } from '@manta/core';
import { currentRuntime, encode, type FunctionDescriptor, loadDefinition } from '@manta/core/internal';
import { Checkpoint, persistCheckpoint } from '../checkpoint/index.ts';
import { type ReportOptions, runInSession, type TrainContext, type TrainSession } from '../session/index.ts';
import { selectBackend } from '../tfjs/index.ts';
import { reportSubject, type WorkerReport } from './reports.ts';

export interface WorkerSetup {
  runId: string;
  attempt: number;
  context: Omit<TrainContext, 'backend'>;
  backend?: 'tensorflow' | 'wasm' | 'cpu';
  useGpu: boolean;
  /** Where rank 0 persists checkpoints: the run folder. */
  runUri: string;
  /** Index of the next checkpoint_N (continues after a restart). */
  nextCheckpointIndex: number;
  /** The checkpoint to resume from, as a URI. */
  checkpointUri?: string;
  collectiveTimeoutMs: number;
}

class TrainWorkerImpl {
  private group: CollectiveGroup | undefined;
  private setupInfo: WorkerSetup | undefined;
  private backend = 'cpu';
  private reports = 0;
  private nextIndex = 0;

  async setup(setup: WorkerSetup): Promise<{ backend: string; pid: number }> {
    this.setupInfo = setup;
    this.nextIndex = setup.nextCheckpointIndex;
    this.backend = await selectBackend({ useGpu: setup.useGpu, backend: setup.backend });
    const runtime = currentRuntime();
    if (!runtime) throw new Error('training worker has no Manta runtime');
    this.group = await createCollectiveGroup({
      nc: runtime.nc,
      group: `train-${setup.runId}-${setup.attempt}`,
      rank: setup.context.worldRank,
      worldSize: setup.context.worldSize,
      timeoutMs: setup.collectiveTimeoutMs,
    });
    return { backend: this.backend, pid: process.pid };
  }

  async run(
    loop: FunctionDescriptor,
    config: Record<string, unknown>,
    shards: Record<string, unknown>,
  ): Promise<void> {
    const setup = this.setupInfo;
    if (!setup) throw new Error('setup() must run before run()');
    const definition = (await loadDefinition(loop)) as { fn?: (config: unknown) => unknown };
    if (typeof definition.fn !== 'function') throw new TypeError(`${loop.name} is not a training loop`);
    const session: TrainSession = {
      context: { ...setup.context, backend: this.backend },
      checkpoint: setup.checkpointUri ? Checkpoint.fromUri(setup.checkpointUri) : null,
      shards,
      group: this.group,
      report: (metrics, options) => this.report(metrics, options),
    };
    await runInSession(session, () => definition.fn!(config));
    await this.group?.barrier();
  }

  private async report(metrics: Record<string, unknown>, options: ReportOptions): Promise<void> {
    const setup = this.setupInfo!;
    this.reports++;
    // A report counts only once every rank has reached it: a checkpoint is never persisted for
    // an iteration some rank did not finish.
    await this.group?.barrier();
    let checkpointUri: string | undefined;
    let checkpointIndex: number | undefined;
    if (setup.context.worldRank === 0) {
      if (options.checkpoint) {
        checkpointIndex = this.nextIndex++;
        const persisted = await persistCheckpoint(options.checkpoint, setup.runUri, {
          index: checkpointIndex,
          metrics,
        });
        checkpointUri = persisted.uri;
      }
      const message: WorkerReport = {
        runId: setup.runId,
        attempt: setup.attempt,
        iteration: this.reports,
        metrics,
        checkpointUri,
        checkpointIndex,
        at: Date.now(),
      };
      currentRuntime()!.nc.publish(reportSubject(setup.runId), encode(message));
      await currentRuntime()!.nc.flush();
    } else if (options.checkpoint) {
      this.nextIndex++;
    }
    // Every rank waits until rank 0 has persisted: after report() returns, the checkpoint is safe.
    await this.group?.barrier();
  }

  async shutdown(): Promise<void> {
    await this.group?.destroy();
    this.group = undefined;
  }
}

export const TrainWorker = actor(import.meta.url, TrainWorkerImpl, { maxConcurrency: 2 });
export type TrainWorkerHandle = Awaited<ReturnType<typeof TrainWorker.remote>>;
