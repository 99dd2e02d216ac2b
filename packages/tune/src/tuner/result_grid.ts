import { ConfigError } from '@manta/core';
import { TrialFailedError } from '../errors/index.ts';
import type { TrialStatus } from '../schedulers/index.ts';
import type { Mode, TrialConfig, TrialMetrics } from '../search/index.ts';
import { csvRow } from './csv.ts';
import { flatten } from './trial.ts';

/** One trial's outcome. */
export interface Result {
  readonly trialId: string;
  readonly status: TrialStatus;
  readonly config: TrialConfig;
  /** The last reported result (undefined if it never reported). */
  readonly metrics: TrialMetrics | undefined;
  /** Every reported result, in order. */
  readonly metricsHistory: readonly TrialMetrics[];
  /** The latest checkpoint: a local folder, or its URI for an experiment in remote storage (`s3://`). */
  readonly checkpoint: string | undefined;
  /** Local folder of the trial. */
  readonly path: string;
  readonly error: TrialFailedError | undefined;
}

export const MetricScope = {
  Last: 'last',
  Avg: 'avg',
  Last5Avg: 'last-5-avg',
  Last10Avg: 'last-10-avg',
  All: 'all',
} as const;
export type MetricScope = (typeof MetricScope)[keyof typeof MetricScope];

/** The results of a tuning run, as Ray's ResultGrid. */
export class ResultGrid implements Iterable<Result> {
  constructor(
    private readonly results: readonly Result[],
    readonly experimentPath: string,
    private readonly defaults: { metric?: string; mode?: Mode } = {},
  ) {}

  get length(): number {
    return this.results.length;
  }

  get(index: number): Result {
    const result = this.results[index];
    if (!result) throw new RangeError(`ResultGrid has ${this.results.length} results; no index ${index}`);
    return result;
  }

  [Symbol.iterator](): Iterator<Result> {
    return this.results[Symbol.iterator]();
  }

  get errors(): TrialFailedError[] {
    return this.results.flatMap((r) => (r.error ? [r.error] : []));
  }

  get numErrors(): number {
    return this.results.filter((r) => r.status === 'ERROR').length;
  }

  get numTerminated(): number {
    return this.results.filter((r) => r.status === 'TERMINATED').length;
  }

  /**
   * The best trial by `metric` under `mode` (defaults: tuneConfig's). `scope` picks which of
   * each trial's results count: the last, the mean of all or of the last 5/10, or the best
   * of all ('all'). NaN and infinite values are skipped unless filterNanAndInf is false.
   */
  getBestResult(metric?: string, mode?: Mode, scope: MetricScope = 'last', filterNanAndInf = true): Result {
    const m = metric ?? this.defaults.metric;
    const d = mode ?? this.defaults.mode;
    if (!m || !d) {
      throw new ConfigError(
        'getBestResult needs a metric and mode: pass them or set tuneConfig.metric/mode',
        ['metric', 'mode'],
      );
    }
    if (!Object.values(MetricScope).includes(scope)) {
      throw new ConfigError(
        `getBestResult scope must be one of ${Object.values(MetricScope).join(', ')} (got '${scope}')`,
      );
    }
    let best: Result | undefined;
    let bestValue = 0;
    for (const result of this.results) {
      const value = scoreOf(result.metricsHistory, m, d, scope, filterNanAndInf);
      if (value === undefined) continue;
      if (!best || (d === 'max' ? value > bestValue : value < bestValue)) [best, bestValue] = [result, value];
    }
    if (!best) throw new ConfigError(`No trial reported metric '${m}'; cannot pick a best result`);
    return best;
  }

  /** One row per trial: id, status, config.*, the last result's metrics. */
  toCsv(): string {
    const rows = this.results.map((r) => ({
      trialId: r.trialId,
      status: r.status,
      ...flatten({ config: r.config }),
      ...flatten((r.metrics ?? {}) as Record<string, unknown>),
      error: r.error?.message,
    }));
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    return (
      csvRow(columns) +
      rows.map((r) => csvRow(columns.map((c) => (r as Record<string, unknown>)[c]))).join('')
    );
  }

  toJson(): string {
    return JSON.stringify(
      this.results.map((r) => ({
        trialId: r.trialId,
        status: r.status,
        config: r.config,
        metrics: r.metrics,
        checkpoint: r.checkpoint,
        path: r.path,
        error: r.error ? { message: r.error.message, stack: r.error.remoteStack } : undefined,
      })),
      null,
      2,
    );
  }

  /** A plain-text table of every trial. */
  table(metric = this.defaults.metric): string {
    const header = ['trial', 'status', 'iter', ...(metric ? [metric] : []), 'config'];
    const rows = this.results.map((r) => [
      r.trialId,
      r.status,
      String(r.metrics?.trainingIteration ?? 0),
      ...(metric ? [formatValue(r.metrics?.[metric])] : []),
      JSON.stringify(r.config),
    ]);
    return formatTable(header, rows);
  }
}

function scoreOf(
  history: readonly TrialMetrics[],
  metric: string,
  mode: Mode,
  scope: MetricScope,
  filter: boolean,
): number | undefined {
  const values = history
    .map((h) => h[metric])
    .filter((v): v is number => typeof v === 'number' && (!filter || Number.isFinite(v)));
  if (values.length === 0) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  switch (scope) {
    case 'last':
      return values[values.length - 1];
    case 'avg':
      return mean(values);
    case 'last-5-avg':
      return mean(values.slice(-5));
    case 'last-10-avg':
      return mean(values.slice(-10));
    case 'all':
      return mode === 'max' ? Math.max(...values) : Math.min(...values);
  }
}

export function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(5);
  if (v === undefined) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => Math.min((r[i] ?? '').length, 60))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (c.length > 60 ? `${c.slice(0, 57)}...` : c).padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function errorFromInfo(
  trialId: string,
  info: { name: string; message: string; stack: string | undefined },
): TrialFailedError {
  return new TrialFailedError(trialId, `${info.name}: ${info.message}`, info.stack);
}
