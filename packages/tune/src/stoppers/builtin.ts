import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { TrialMetrics } from '../search/index.ts';
import type { Stopper } from './types.ts';

/** Ends each trial after `maxIter` results. */
export class MaximumIterationStopper implements Stopper {
  private readonly maxIter: number;
  constructor(options: { maxIter: number }) {
    this.maxIter = parseConfig(
      z.strictObject({ maxIter: z.number().int().min(1) }),
      options,
      'MaximumIterationStopper options',
    ).maxIter;
  }
  shouldStop(_trialId: string, result: TrialMetrics): boolean {
    return Number(result.trainingIteration) >= this.maxIter;
  }
}

const plateauSchema = z
  .strictObject({
    metric: z.string().min(1),
    /** Stop when the standard deviation of the last `numResults` values is at most this. */
    std: z.number().min(0).optional(),
    numResults: z.number().int().min(2).optional(),
    /** Results before the check starts. */
    gracePeriod: z.number().int().min(1).optional(),
    /** Only stop once the metric is at least (mode max) or at most (mode min) this. */
    metricThreshold: z.number().optional(),
    mode: z.enum(['min', 'max']).optional(),
  })
  .refine((o) => o.metricThreshold === undefined || o.mode !== undefined, {
    message: 'mode is required with metricThreshold',
    path: ['mode'],
  });

/** Ends a trial whose metric stopped moving (Ray's TrialPlateauStopper). */
export class TrialPlateauStopper implements Stopper {
  private readonly o: Required<Omit<z.output<typeof plateauSchema>, 'metricThreshold' | 'mode'>> &
    Pick<z.output<typeof plateauSchema>, 'metricThreshold' | 'mode'>;
  private readonly windows = new Map<string, number[]>();
  private readonly seen = new Map<string, number>();

  constructor(options: z.input<typeof plateauSchema>) {
    const o = parseConfig(plateauSchema, options, 'TrialPlateauStopper options');
    this.o = { std: 0.01, numResults: 4, gracePeriod: 4, ...o };
  }

  shouldStop(trialId: string, result: TrialMetrics): boolean {
    const value = result[this.o.metric];
    if (typeof value !== 'number' || !Number.isFinite(value)) return false;
    const seen = (this.seen.get(trialId) ?? 0) + 1;
    this.seen.set(trialId, seen);
    const window = this.windows.get(trialId) ?? [];
    window.push(value);
    if (window.length > this.o.numResults) window.shift();
    this.windows.set(trialId, window);
    if (seen < this.o.gracePeriod || window.length < this.o.numResults) return false;
    const { metricThreshold: threshold, mode } = this.o;
    if (threshold !== undefined && (mode === 'max' ? value < threshold : value > threshold)) return false;
    const mean = window.reduce((a, b) => a + b, 0) / window.length;
    const std = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length);
    return std <= this.o.std;
  }
}

/** Ends the whole experiment `timeoutS` seconds after the first result it sees. */
export class TimeoutStopper implements Stopper {
  private readonly timeoutMs: number;
  private startedAt: number | undefined;
  constructor(options: { timeoutS: number }) {
    this.timeoutMs =
      parseConfig(z.strictObject({ timeoutS: z.number().positive() }), options, 'TimeoutStopper options')
        .timeoutS * 1000;
  }
  shouldStop(): boolean {
    this.startedAt ??= Date.now();
    return false;
  }
  stopAll(): boolean {
    return this.startedAt !== undefined && Date.now() - this.startedAt >= this.timeoutMs;
  }
}

/** Stops a trial (or everything) when any of its stoppers says so. */
export class CombinedStopper implements Stopper {
  private readonly stoppers: readonly Stopper[];
  constructor(...stoppers: Stopper[]) {
    this.stoppers = stoppers;
  }
  shouldStop(trialId: string, result: TrialMetrics): boolean {
    // Every stopper sees every result (they may keep per-trial state).
    return this.stoppers.map((s) => s.shouldStop(trialId, result)).some(Boolean);
  }
  stopAll(): boolean {
    return this.stoppers.some((s) => s.stopAll?.() === true);
  }
}
