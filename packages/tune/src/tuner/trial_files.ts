import type { TrialMetrics } from '../search/index.ts';
import type { FileWrite, TuneStorage } from '../storage/index.ts';
import { csvRow } from './csv.ts';
import { flatten, type TrialErrorInfo, type TrialRecord } from './trial.ts';

/** What is waiting to be written for one trial. */
interface PendingFiles {
  readonly trial: TrialRecord;
  params: boolean;
  result: string;
  progress: string;
  error: string;
}

/**
 * Ray's per-trial files: params.json, result.json (JSON lines), progress.csv, error.txt.
 * Changes are buffered and written in batches (`commit`): one batch in flight at a time, every
 * change made while it runs goes into the next, so a burst of short trials costs a few writes
 * per trial, not a chain of awaited ones per result.
 */
export class TrialFiles {
  private readonly columns = new Map<string, string[]>();
  private pending = new Map<string, PendingFiles>();
  private inFlight: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly storage: TuneStorage) {}

  private entry(trial: TrialRecord): PendingFiles {
    let entry = this.pending.get(trial.trialId);
    if (!entry) {
      entry = { trial, params: false, result: '', progress: '', error: '' };
      this.pending.set(trial.trialId, entry);
    }
    return entry;
  }

  /** params.json (the trial's config) is rewritten at the next commit. */
  writeParams(trial: TrialRecord): void {
    this.entry(trial).params = true;
  }

  appendResult(trial: TrialRecord, result: TrialMetrics): void {
    const entry = this.entry(trial);
    entry.result += `${JSON.stringify(result)}\n`;
    const flat = flatten(result as Record<string, unknown>);
    let columns = this.columns.get(trial.trialId);
    if (!columns) {
      columns = Object.keys(flat);
      this.columns.set(trial.trialId, columns);
      entry.progress += csvRow(columns);
    }
    entry.progress += csvRow(columns.map((c) => flat[c]));
  }

  appendError(trial: TrialRecord, error: TrialErrorInfo): void {
    const when = new Date().toISOString();
    this.entry(trial).error += `[${when}] ${error.stack ?? `${error.name}: ${error.message}`}\n`;
  }

  /** True when nothing is waiting to be written. */
  get idle(): boolean {
    return this.pending.size === 0 && this.inFlight === undefined;
  }

  /** Resolves once every change made before the call is written. */
  commit(): Promise<void> {
    if (this.inFlight) {
      if (this.pending.size === 0) return this.inFlight;
      this.queued ??= this.inFlight
        .catch(() => {})
        .then(() => {
          this.queued = undefined;
          return this.commit();
        });
      return this.queued;
    }
    if (this.pending.size === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    const run = this.write(batch).finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }

  private async write(batch: Map<string, PendingFiles>): Promise<void> {
    const ops: FileWrite[] = [];
    for (const { trial, params, result, progress, error } of batch.values()) {
      const dir = trial.dirName;
      if (params)
        ops.push({
          path: `${dir}/params.json`,
          text: `${JSON.stringify(trial.config, null, 2)}\n`,
          append: false,
        });
      if (result) ops.push({ path: `${dir}/result.json`, text: result, append: true });
      if (progress) ops.push({ path: `${dir}/progress.csv`, text: progress, append: true });
      if (error) ops.push({ path: `${dir}/error.txt`, text: error, append: true });
    }
    if (this.storage.writeBatch) {
      await this.storage.writeBatch(ops);
      return;
    }
    const outcomes = await Promise.allSettled(
      ops.map((op) =>
        op.append ? this.storage.appendText(op.path, op.text) : this.storage.writeText(op.path, op.text),
      ),
    );
    const failed = outcomes.find((o) => o.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /**
   * A trial of a restored experiment: its results as result.json holds them (for restore), and
   * later rows of progress.csv follow the file's existing header.
   */
  async adopt(trial: TrialRecord): Promise<TrialMetrics[]> {
    const header = (await this.storage.readText(`${trial.dirName}/progress.csv`))?.split('\n', 1)[0];
    if (header) this.columns.set(trial.trialId, header.split(','));
    return this.readResults(trial);
  }

  /**
   * Every result in result.json, in the order of the latest run: a trial restarted from a
   * checkpoint reports its later iterations again, and those replace the earlier ones.
   */
  async readResults(trial: TrialRecord): Promise<TrialMetrics[]> {
    const text = await this.storage.readText(`${trial.dirName}/result.json`);
    if (!text) return [];
    const results: TrialMetrics[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let result: TrialMetrics;
      try {
        result = JSON.parse(line) as TrialMetrics;
      } catch {
        continue; // a line cut short by a crash
      }
      const iteration = Number(result.trainingIteration);
      while (results.length > 0 && Number(results[results.length - 1].trainingIteration) >= iteration)
        results.pop();
      results.push(result);
    }
    return results;
  }

  /** Start the result files over (restartErrored). */
  async reset(trial: TrialRecord): Promise<void> {
    this.columns.delete(trial.trialId);
    await this.storage.remove(`${trial.dirName}/result.json`);
    await this.storage.remove(`${trial.dirName}/progress.csv`);
  }
}
