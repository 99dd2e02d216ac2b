import { ConfigError } from '@manta/core';
import { z } from 'zod';
import type { Mode, TrialMetrics } from '../search/index.ts';
import type { SchedulerProperties } from './types.ts';

/** Metric and mode a scheduler uses; its own options win, tuneConfig fills the gaps. */
/** The options every scheduler takes: the time attribute, and the metric and mode to judge by. */
export const schedulerTargetOptions = {
  timeAttr: z.string().min(1).optional(),
  metric: z.string().min(1).optional(),
  mode: z.enum(['min', 'max']).optional(),
};

export class MetricTarget {
  constructor(
    private readonly owner: string,
    public metric: string | undefined,
    public mode: Mode | undefined,
  ) {}

  fill(props: SchedulerProperties): void {
    this.metric ??= props.metric;
    this.mode ??= props.mode;
  }

  /** The metric signed so that larger is better, or undefined if the result lacks it. */
  score(result: TrialMetrics): number | undefined {
    const metric = this.require();
    const value = result[metric];
    if (typeof value !== 'number' || Number.isNaN(value)) return undefined;
    return this.mode === 'min' ? -value : value;
  }

  require(): string {
    if (!this.metric || !this.mode) {
      throw new ConfigError(
        `${this.owner} needs a metric and mode: set them in its options or in tuneConfig`,
        [`${this.owner}.metric`],
      );
    }
    return this.metric;
  }
}

/** numpy's default (linear) percentile, q in [0, 100]. */
export function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

export function timeOf(result: TrialMetrics, timeAttr: string): number | undefined {
  const t = result[timeAttr];
  return typeof t === 'number' && Number.isFinite(t) ? t : undefined;
}
