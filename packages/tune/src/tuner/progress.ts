import type { TrialStatus } from '../schedulers/index.ts';
import type { Mode, TrialConfig, TrialMetrics } from '../search/index.ts';
import { formatTable, formatValue } from './result_grid.ts';
import { flatten } from './trial.ts';

export interface ProgressTrial {
  readonly trialName: string;
  readonly status: TrialStatus;
  readonly config: TrialConfig;
  readonly iteration: number;
  readonly timeTotalS: number;
  readonly lastResult: TrialMetrics | undefined;
}

export interface ProgressSnapshot {
  readonly experimentName: string;
  readonly experimentPath: string;
  readonly elapsedS: number;
  readonly trials: readonly ProgressTrial[];
  readonly metric: string | undefined;
  readonly mode: Mode | undefined;
}

/** Receives the experiment's state as it changes. */
export interface ProgressReporter {
  /** The experiment changed (cheap to call: the snapshot shares the controller's trial list). */
  update(snapshot: ProgressSnapshot): void;
  /** A trial reported `result` (called before the update that follows it). */
  result?(trial: ProgressTrial, result: TrialMetrics): void;
  /** Called once at the end of fit(). */
  finish(snapshot: ProgressSnapshot): void;
}

export interface CliReporterOptions {
  readonly stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Seconds between status tables when not on a TTY. */
  readonly intervalS?: number;
  /** Print every result as a line (verbose 2). */
  readonly perResult?: boolean;
}

/** Status table of every trial plus a count by status. */
export function statusTable(snapshot: ProgressSnapshot, maxRows = 20): string {
  const counts = new Map<string, number>();
  for (const t of snapshot.trials) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
  const keys = [...new Set(snapshot.trials.flatMap((t) => Object.keys(flatten(t.config))))].slice(0, 6);
  const metric = snapshot.metric;
  const header = ['Trial name', 'status', ...keys, 'iter', 'total time (s)', ...(metric ? [metric] : [])];
  const rows = snapshot.trials.slice(0, maxRows).map((t) => {
    const flat = flatten(t.config);
    return [
      t.trialName,
      t.status,
      ...keys.map((k) => formatValue(flat[k])),
      String(t.iteration),
      t.timeTotalS.toFixed(2),
      ...(metric ? [formatValue(t.lastResult?.[metric])] : []),
    ];
  });
  const more =
    snapshot.trials.length > maxRows ? `\n... ${snapshot.trials.length - maxRows} more trials` : '';
  return `== Status == ${snapshot.experimentName} | ${snapshot.elapsedS.toFixed(1)}s elapsed | ${summary || 'no trials yet'}\n${formatTable(header, rows)}${more}\n`;
}

export function bestTrialLine(snapshot: ProgressSnapshot): string | undefined {
  const { metric, mode } = snapshot;
  if (!metric || !mode) return undefined;
  let best: ProgressTrial | undefined;
  for (const t of snapshot.trials) {
    const v = t.lastResult?.[metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const bv = best?.lastResult?.[metric] as number | undefined;
    if (bv === undefined || (mode === 'max' ? v > bv : v < bv)) best = t;
  }
  if (!best) return undefined;
  return `Best trial ${best.trialName}: ${metric}=${formatValue(best.lastResult?.[metric])} config=${JSON.stringify(best.config)}`;
}

/**
 * The default reporter (to stderr): on a TTY the table is redrawn in place at most twice a
 * second; otherwise a table is printed every `intervalS` seconds. A summary with the best
 * trial ends the run.
 */
export class CliReporter implements ProgressReporter {
  private readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  private readonly intervalMs: number;
  private readonly perResult: boolean;
  private lastPrint = 0;
  private drawnLines = 0;

  constructor(options: CliReporterOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.intervalMs = (options.intervalS ?? 30) * 1000;
    this.perResult = options.perResult ?? false;
  }

  update(snapshot: ProgressSnapshot): void {
    const now = Date.now();
    if (this.stream.isTTY) {
      if (now - this.lastPrint < 500) return;
      this.redraw(statusTable(snapshot));
    } else {
      if (now - this.lastPrint < this.intervalMs) return;
      this.stream.write(statusTable(snapshot));
    }
    this.lastPrint = now;
  }

  /** Verbose 2: one line per result, as it comes (no scan over the trials). */
  result(trial: ProgressTrial, result: TrialMetrics): void {
    if (!this.perResult) return;
    this.drawnLines = 0;
    this.stream.write(`${trial.trialName} iter ${trial.iteration}: ${JSON.stringify(result)}\n`);
  }

  private redraw(text: string): void {
    const clear = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[0J` : '';
    this.stream.write(clear + text);
    this.drawnLines = text.split('\n').length - 1;
  }

  finish(snapshot: ProgressSnapshot): void {
    const best = bestTrialLine(snapshot);
    const text = `${statusTable(snapshot, 50)}${best ? `${best}\n` : ''}Results in ${snapshot.experimentPath}\n`;
    if (this.stream.isTTY) this.redraw(text);
    else this.stream.write(text);
    this.drawnLines = 0;
  }
}
