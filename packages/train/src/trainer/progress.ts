import type { Storage } from '../storage/index.ts';

/**
 * The run's progress: a live line per report on stderr, and result.json (JSON lines) plus
 * progress.csv in the run folder, rewritten after each report.
 */
export class ProgressLog {
  private readonly rows: Record<string, unknown>[] = [];
  private readonly started = Date.now();

  constructor(
    private readonly name: string,
    private readonly storage: Storage,
    private readonly verbose: boolean,
  ) {}

  async add(row: Record<string, unknown>): Promise<void> {
    this.rows.push(row);
    if (this.verbose) process.stderr.write(`${this.line(row)}\n`);
    await this.storage.writeTextAtomic(
      'result.json',
      this.rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
    );
    await this.storage.writeTextAtomic('progress.csv', toCsv(this.rows));
  }

  private line(row: Record<string, unknown>): string {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    const shown = Object.entries(row)
      .filter(
        ([k, v]) =>
          !k.startsWith('_') &&
          k !== 'training_iteration' &&
          k !== 'timestamp' &&
          (typeof v === 'number' || typeof v === 'string'),
      )
      .slice(0, 6)
      .map(([k, v]) => `${k}=${typeof v === 'number' ? formatNumber(v) : v}`);
    return `[${this.name}] iter ${row.training_iteration} | ${shown.join(' ')} | ${seconds}s`;
  }
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4);
}

export function toCsv(rows: Record<string, unknown>[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const cell = (v: unknown) => {
    const text = v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}
