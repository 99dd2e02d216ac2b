/**
 * The trial process: an actor that loads the declared trainable and runs trials in-process
 * (with the same `report`/`getCheckpoint`/`getContext` session as the local executor), sending
 * each report to the driver over NATS request/reply and waiting for CONTINUE/PAUSE/STOP.
 */
import { actor } from '@manta/core';
import {
  currentRuntime,
  decode,
  encode,
  type FunctionDescriptor,
  loadDefinition,
} from '@manta/core/internal';
import {
  LocalTrialExecutor,
  type ReportReply,
  type StartTrialRequest,
  type TrialSink,
} from '../executor/index.ts';
import { type TrialMessage, TrialReplySchema } from './protocol.ts';
import type { TrainableDefinition } from './trainable.ts';

export interface RunTrialArgs {
  readonly trainable: FunctionDescriptor;
  readonly request: StartTrialRequest;
  readonly subject: string;
  readonly token: string;
  readonly reuseInstances: boolean;
  readonly replyTimeoutMs: number;
}

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

  async run(args: RunTrialArgs): Promise<'finished' | 'stopped'> {
    const executor = await this.executorFor(args);
    const nc = currentRuntime()?.nc;
    if (!nc) throw new Error('trial process has no Manta runtime');
    const ask = async (message: TrialMessage): Promise<ReportReply> => {
      const reply = await nc.request(args.subject, encode(message), { timeout: args.replyTimeoutMs });
      return TrialReplySchema.parse(decode(reply.data)).reply;
    };
    const { trialId } = args.request;
    const sink: TrialSink = {
      report: (_id, r) =>
        ask({ kind: 'report', trialId, token: args.token, metrics: r.metrics, checkpoint: r.checkpoint }),
      checkpoint: async (_id, dir) => {
        await ask({ kind: 'checkpoint', trialId, token: args.token, checkpoint: dir });
      },
    };
    const exit = await executor.start(args.request, sink);
    if (exit.kind === 'errored') throw exit.error;
    return exit.kind;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.executors.values()].map((e) => e.shutdown()));
  }
}

export const TrialRunner = actor(import.meta.url, TrialRunnerImpl);
export type TrialRunnerHandle = Awaited<ReturnType<typeof TrialRunner.remote>>;
