/**
 * The trial process: an actor that loads the declared trainable and runs trials in-process
 * (with the same `report`/`getCheckpoint`/`getContext` session as the local executor).
 *
 * Results reach the driver in one of two ways. When the driver decides on every result (a
 * scheduler that may stop or pause, stop criteria), each report is a request the trial waits on.
 * Otherwise results are streamed: `report()` returns at once, results go out in batches (one
 * in flight at a time, its answer may say STOP), and results still unsent when the trainable
 * returns travel back in the call's return value, so a short trial costs one message each way.
 * A report with a checkpoint always waits: the checkpoint is stored first (see
 * checkpoint_transfer.ts) and the answer says where the next one goes.
 */
import { actor, type ObjectRef } from '@manta/core';
import {
  currentRuntime,
  decode,
  encode,
  type FunctionDescriptor,
  loadDefinition,
} from '@manta/core/internal';
import {
  LocalTrialExecutor,
  ReportReply,
  type StartTrialRequest,
  type TrialSink,
} from '../executor/index.ts';
import type { TrialMetrics } from '../search/index.ts';
import { type CheckpointTransfer, TrialCheckpoints } from './checkpoint_transfer.ts';
import { type TrialMessage, type TrialReplyMessage, TrialReplySchema } from './protocol.ts';
import type { TrainableDefinition } from './trainable.ts';

export interface RunTrialArgs {
  readonly trainable: FunctionDescriptor;
  readonly request: StartTrialRequest;
  readonly subject: string;
  readonly token: string;
  readonly reuseInstances: boolean;
  readonly replyTimeoutMs: number;
  readonly checkpointTransfer: CheckpointTransfer;
  /** Where the trial's first checkpoint goes (relative to the experiment root). */
  readonly checkpointPath: string | undefined;
}

export interface RunTrialResult {
  readonly kind: 'finished' | 'stopped';
  /** Streamed results not sent yet, in order (the driver takes them before the exit). */
  readonly results: TrialMetrics[];
}

/** Several short trials in one call: each has its own request, token and first checkpoint path. */
export interface RunTrialBatchArgs extends Omit<RunTrialArgs, 'request' | 'token' | 'checkpointPath'> {
  readonly trials: readonly Pick<RunTrialArgs, 'request' | 'token' | 'checkpointPath'>[];
}

/** One trial of a batch: its result, or the error it ended with (name, message, remote stack). */
export type BatchTrialOutcome =
  | RunTrialResult
  | { readonly kind: 'errored'; readonly error: { name: string; message: string; stack?: string } };

/** Streamed results per message at most (keeps messages small). */
const BATCH = 256;

class TrialRunnerImpl {
  private readonly executors = new Map<string, LocalTrialExecutor>();

  private async executorFor(args: RunTrialArgs): Promise<LocalTrialExecutor> {
    const key = `${args.trainable.module}\u0000${args.trainable.key}`;
    let executor = this.executors.get(key);
    if (!executor) {
      const definition = (await loadDefinition(args.trainable)) as Partial<TrainableDefinition> | undefined;
      if (typeof definition?.trainable !== 'function') {
        throw new TypeError(
          `${args.trainable.name} in ${args.trainable.module} is not a trainable; declare it with trainable(import.meta.url, fn)`,
        );
      }
      executor = new LocalTrialExecutor(definition.trainable, { reuseActors: args.reuseInstances });
      this.executors.set(key, executor);
    }
    return executor;
  }

  async run(args: RunTrialArgs): Promise<RunTrialResult> {
    const executor = await this.executorFor(args);
    const nc = currentRuntime()?.nc;
    if (!nc) throw new Error('trial process has no Manta runtime');
    const { trialId } = args.request;
    const { token } = args;
    let checkpointPath = args.checkpointPath;
    let stopped = false;
    const ask = async (message: TrialMessage): Promise<TrialReplyMessage> => {
      const reply = await nc.request(args.subject, encode(message), { timeout: args.replyTimeoutMs });
      const answer = TrialReplySchema.parse(decode(reply.data));
      if (answer.checkpointPath) checkpointPath = answer.checkpointPath;
      if (answer.reply !== ReportReply.Continue) stopped = true;
      return answer;
    };

    // Streaming: results wait here until sent; one batch is in flight at a time.
    const streamed: TrialMetrics[] = [];
    let inFlight: Promise<void> | undefined;
    let scheduled: NodeJS.Immediate | undefined;
    let sendFailure: unknown;
    const send = (): Promise<void> => {
      scheduled = undefined;
      if (inFlight || streamed.length === 0) return inFlight ?? Promise.resolve();
      const results = streamed.splice(0, BATCH);
      inFlight = ask({ kind: 'results', trialId, token, results })
        .then(
          () => undefined,
          (error: unknown) => {
            sendFailure ??= error;
            stopped = true;
          },
        )
        .finally(() => {
          inFlight = undefined;
          if (streamed.length > 0 && !stopped) scheduled ??= setImmediate(send);
        });
      return inFlight;
    };
    /** Every streamed result sent and answered (before a waited-on message, or the end). */
    const drain = async (): Promise<void> => {
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
      while (inFlight) await inFlight;
      while (streamed.length > 0 && sendFailure === undefined) await send();
      if (sendFailure !== undefined) throw sendFailure;
    };

    const checkpoints = new TrialCheckpoints(args.request.storage, args.checkpointTransfer);
    try {
      let request = args.request;
      if (request.checkpointPath) {
        const askForFiles = async (path: string): Promise<ObjectRef> => {
          const answer = await ask({ kind: 'fetch', trialId, token, path });
          if (!answer.files) throw new Error(answer.error ?? `the driver could not send checkpoint ${path}`);
          return answer.files;
        };
        request = { ...request, checkpoint: await checkpoints.fetch(request.checkpointPath, askForFiles) };
      }
      const sink: TrialSink = {
        report: async (_id, r) => {
          if (r.checkpoint) {
            await drain();
            if (stopped) return ReportReply.Stop;
            const checkpoint = await checkpoints.store(r.checkpoint, checkpointPath);
            return (await ask({ kind: 'report', trialId, token, metrics: r.metrics, checkpoint })).reply;
          }
          if (request.decisionsPerResult !== false) {
            return (await ask({ kind: 'report', trialId, token, metrics: r.metrics })).reply;
          }
          if (stopped) return ReportReply.Stop;
          streamed.push(r.metrics);
          if (r.metrics.done === true) stopped = true; // the driver ends a trial at done
          if (streamed.length >= BATCH) await send();
          else scheduled ??= setImmediate(send);
          return ReportReply.Continue;
        },
        checkpoint: async (_id, dir) => {
          if (typeof dir !== 'string') throw new TypeError('trial processes store local checkpoint folders');
          await drain();
          const checkpoint = await checkpoints.store(dir, checkpointPath);
          await ask({ kind: 'checkpoint', trialId, token, checkpoint });
        },
      };
      const exit = await executor.start(request, sink);
      if (scheduled) clearImmediate(scheduled);
      scheduled = undefined;
      while (inFlight) await inFlight;
      if (exit.kind === 'errored') {
        await drain().catch(() => {});
        throw exit.error;
      }
      if (sendFailure !== undefined) throw sendFailure;
      return { kind: exit.kind, results: streamed.splice(0) };
    } finally {
      if (scheduled) clearImmediate(scheduled);
      await checkpoints.close();
    }
  }

  /** Runs the trials one after the other; one trial's error does not end the others. */
  async runBatch(args: RunTrialBatchArgs): Promise<BatchTrialOutcome[]> {
    const { trials, ...common } = args;
    const outcomes: BatchTrialOutcome[] = [];
    for (const trial of trials) {
      try {
        outcomes.push(await this.run({ ...common, ...trial }));
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        outcomes.push({ kind: 'errored', error: { name: e.name, message: e.message, stack: e.stack } });
      }
    }
    return outcomes;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.executors.values()].map((e) => e.shutdown()));
  }
}

export const TrialRunner = actor(import.meta.url, TrialRunnerImpl);
export type TrialRunnerHandle = Awaited<ReturnType<typeof TrialRunner.remote>>;
