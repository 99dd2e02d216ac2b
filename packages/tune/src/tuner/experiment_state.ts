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

export interface ExperimentStateWriterOptions {
  /** Shortest gap between two writes (ms): changes within it are coalesced into one write. */
  readonly minIntervalMs?: number;
  /** Runs before each write, e.g. to make the trial files the state names durable first. */
  readonly beforeWrite?: () => Promise<void>;
}

/**
 * Writes experiment_state.json atomically, one write at a time, soon after every change:
 * changes are coalesced so that writes start at most every `minIntervalMs`, and never more often
 * than keeps writing under ~5% of the time (a big experiment's state takes longer to write).
 * Each write holds the newest state, built when the write starts.
 */
export class ExperimentStateWriter {
  private next: (() => ExperimentState | string) | undefined;
  private running: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failure: unknown;
  private lastStart = Number.NEGATIVE_INFINITY;
  private intervalMs: number;
  private readonly minIntervalMs: number;
  private readonly beforeWrite: (() => Promise<void>) | undefined;

  constructor(
    private readonly storage: TuneStorage,
    options: ExperimentStateWriterOptions = {},
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 100;
    this.intervalMs = this.minIntervalMs;
    this.beforeWrite = options.beforeWrite;
  }

  /**
   * Ask for a write. `build` runs when the write starts (superseded snapshots are never built);
   * it may return the state's JSON text itself.
   */
  save(build: () => ExperimentState | string): void {
    this.next = build;
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.timer || this.next === undefined) return;
    const wait = Math.max(0, this.lastStart + this.intervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, wait);
  }

  private start(): void {
    if (this.running || this.next === undefined) return;
    const build = this.next;
    this.next = undefined;
    const run = this.write(build).finally(() => {
      this.running = undefined;
      this.schedule();
    });
    this.running = run;
  }

  private async write(build: () => ExperimentState | string): Promise<void> {
    const started = performance.now();
    this.lastStart = started;
    try {
      const state = build();
      const text = typeof state === 'string' ? state : JSON.stringify(state);
      await this.beforeWrite?.();
      await this.storage.writeText(EXPERIMENT_STATE_FILE, text);
    } catch (error) {
      this.failure ??= error;
    }
    this.intervalMs = Math.max(this.minIntervalMs, 20 * (performance.now() - started));
  }

  /** Write the newest state now and wait for it; rethrows a write failure. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.running) await this.running;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.next !== undefined) {
      this.start();
      while (this.running) await this.running;
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.failure) throw this.failure;
  }
}

export async function readExperimentState(storage: TuneStorage): Promise<ExperimentState | undefined> {
  const text = await storage.readText(EXPERIMENT_STATE_FILE);
  return text === undefined ? undefined : (JSON.parse(text) as ExperimentState);
}
