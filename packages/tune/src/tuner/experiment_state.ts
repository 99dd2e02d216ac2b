import type { TuneStorage } from '../storage/index.ts';
import type { TrialRecordData } from './trial.ts';

export const EXPERIMENT_STATE_FILE = 'experiment_state.json';

/** The contents of experiment_state.json. */
export interface ExperimentState {
  readonly version: 1;
  readonly name: string;
  readonly runId: string;
  readonly trainableName: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly tuneConfig: {
    metric?: string;
    mode?: 'min' | 'max';
    numSamples: number;
    maxConcurrentTrials: number;
    timeBudgetS?: number;
    seed?: number | string;
    reuseActors: boolean;
  };
  readonly runConfig: {
    stop?: Record<string, number>;
    checkpointConfig: { numToKeep?: number; checkpointFrequency: number; checkpointAtEnd: boolean };
    maxFailures: number;
  };
  /** serializeSpace output, or null when the space held functions. */
  readonly paramSpace: unknown;
  readonly searcher: { name: string; state: unknown; finished: boolean };
  readonly scheduler: { name: string; state: unknown };
  readonly trialCounter: number;
  readonly trials: TrialRecordData[];
}

/**
 * Writes experiment_state.json atomically, one write at a time; when writes pile up only the
 * newest snapshot is written (each snapshot is complete).
 */
export class ExperimentStateWriter {
  private next: (() => ExperimentState) | undefined;
  private running: Promise<void> | undefined;
  private failure: unknown;

  constructor(private readonly storage: TuneStorage) {}

  /**
   * Ask for a write. `build` runs when the write starts, so snapshots superseded while a write
   * is in flight are never built or serialised (each built snapshot is complete and current).
   */
  save(build: () => ExperimentState): void {
    this.next = build;
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.next !== undefined) {
        const build = this.next;
        this.next = undefined;
        await this.storage.writeText(EXPERIMENT_STATE_FILE, JSON.stringify(build(), null, 1));
      }
    } catch (error) {
      this.failure = error;
    } finally {
      this.running = undefined;
    }
  }

  /** Wait for pending writes; rethrows a write failure. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.failure) throw this.failure;
  }
}

export async function readExperimentState(storage: TuneStorage): Promise<ExperimentState | undefined> {
  const text = await storage.readText(EXPERIMENT_STATE_FILE);
  return text === undefined ? undefined : (JSON.parse(text) as ExperimentState);
}
