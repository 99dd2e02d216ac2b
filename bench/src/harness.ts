/**
 * Benchmark reporting, as ../shared/BENCHMARKS.md says: one JSON object per line on stdout,
 * human-readable lines on stderr. `value` is the median of >= 5 repetitions after a warm-up.
 */
export type Unit = string;

export interface Figure {
  suite: string;
  name: string;
  unit: Unit;
  value: number;
  baseline: string | null;
  baselineValue: number | null;
  ratio: number | null;
  params: Record<string, unknown>;
}

export interface FigureInput {
  name: string;
  unit: Unit;
  value: number;
  /** True for latencies and durations: the ratio is then baselineValue / value. */
  lowerIsBetter?: boolean;
  baseline?: { name: string; value: number } | null;
  params?: Record<string, unknown>;
}

export interface BenchContext {
  readonly suite: string;
  /** `--quick`: smaller sizes and fewer repetitions, under 60 s per suite. */
  readonly quick: boolean;
  emit(figure: FigureInput): Figure;
  log(message: string): void;
}

export function createContext(suite: string, quick: boolean): BenchContext {
  return {
    suite,
    quick,
    emit(input) {
      const baseline = input.baseline ?? null;
      let ratio: number | null = null;
      if (baseline && baseline.value > 0 && input.value > 0) {
        ratio = input.lowerIsBetter ? baseline.value / input.value : input.value / baseline.value;
        ratio = Math.round(ratio * 1000) / 1000;
      }
      const figure: Figure = {
        suite,
        name: input.name,
        unit: input.unit,
        value: round(input.value),
        baseline: baseline?.name ?? null,
        baselineValue: baseline ? round(baseline.value) : null,
        ratio,
        params: input.params ?? {},
      };
      process.stdout.write(`${JSON.stringify(figure)}\n`);
      process.stderr.write(
        `  ${figure.name.padEnd(36)} ${String(figure.value).padStart(12)} ${figure.unit}` +
          (figure.baseline ? `   vs ${figure.baseline} ${figure.baselineValue}  ratio ${figure.ratio}` : '') +
          '\n',
      );
      return figure;
    },
    log(message) {
      process.stderr.write(`${message}\n`);
    },
  };
}

function round(x: number): number {
  return Math.abs(x) >= 100 ? Math.round(x * 10) / 10 : Math.round(x * 10_000) / 10_000;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `fn` once to warm up, then `repetitions` times (at least 5); returns every duration in ms. */
export async function repeat(fn: () => Promise<unknown> | unknown, repetitions = 5): Promise<number[]> {
  await fn();
  const durations: number[] = [];
  for (let i = 0; i < Math.max(5, repetitions); i++) {
    const start = performance.now();
    await fn();
    durations.push(performance.now() - start);
  }
  return durations;
}
