import type { DataParallelTrainer, TrainerConfig } from '@manta/train';
import {
  ReportReply,
  type StartTrialRequest,
  type TrialExecutor,
  type TrialExit,
  type TrialSink,
} from '../executor/index.ts';
import type { TrialConfig, TrialMetrics } from '../search/index.ts';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The trainer config a trial runs: the trainer's own, with the sampled values merged in. */
export function trialTrainerConfig(
  base: TrainerConfig,
  config: TrialConfig,
  request: Pick<StartTrialRequest, 'trialName' | 'trialDir' | 'checkpoint'>,
): Partial<TrainerConfig> {
  const merged: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const own = (base as Record<string, unknown>)[key];
    merged[key] = isObject(own) && isObject(value) ? { ...own, ...value } : value;
  }
  return {
    ...merged,
    runConfig: {
      ...(base.runConfig ?? {}),
      ...(isObject(merged.runConfig) ? merged.runConfig : {}),
      name: request.trialName,
      storagePath: request.trialDir,
      verbose: false,
    },
    resumeFromCheckpoint: request.checkpoint ?? base.resumeFromCheckpoint,
  } as Partial<TrainerConfig>;
}

/**
 * Trials of a DataParallelTrainer: each runs `trainer.withOverrides(...).fit()` from the driver
 * (the trainer starts its own worker actors). Every report reaches the scheduler through
 * `fit({ onReport })`, with the checkpoint persisted for it; a STOP or PAUSE reply ends the
 * fit at once (the trainer stops its workers), as does `stop()`.
 */
export class TrainerTrialExecutor implements TrialExecutor {
  private readonly aborts = new Map<string, AbortController>();

  constructor(private readonly trainer: DataParallelTrainer) {}

  async start(request: StartTrialRequest, sink: TrialSink): Promise<TrialExit> {
    const abort = new AbortController();
    this.aborts.set(request.trialId, abort);
    try {
      const trainer = this.trainer.withOverrides(
        trialTrainerConfig(this.trainer.config, request.config, request),
      );
      await trainer.fit({
        signal: abort.signal,
        onReport: async ({ metrics, checkpoint }) => {
          if (abort.signal.aborted) return 'STOP';
          const reply = await sink.report(request.trialId, {
            metrics: metrics as TrialMetrics,
            // Trials run their trainer into the (local) trial folder: the checkpoint is a local path.
            checkpoint: checkpoint?.path,
          });
          if (reply === ReportReply.Continue) return 'CONTINUE';
          abort.abort();
          return 'STOP';
        },
      });
      return { kind: abort.signal.aborted ? 'stopped' : 'finished' };
    } catch (error) {
      return abort.signal.aborted ? { kind: 'stopped' } : { kind: 'errored', error };
    } finally {
      this.aborts.delete(request.trialId);
    }
  }

  stop(trialId: string): void {
    this.aborts.get(trialId)?.abort();
  }

  async shutdown(): Promise<void> {
    for (const abort of this.aborts.values()) abort.abort();
  }
}
