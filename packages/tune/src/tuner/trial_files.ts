import type { TrialMetrics } from '../search/index.ts';
import type { TuneStorage } from '../storage/index.ts';
import { csvRow } from './csv.ts';
import { flatten, type TrialErrorInfo, type TrialRecord } from './trial.ts';

/** Ray's per-trial files: params.json, result.json (JSON lines), progress.csv, error.txt. */
export class TrialFiles {
  private readonly columns = new Map<string, string[]>();

  constructor(private readonly storage: TuneStorage) {}

  async writeParams(trial: TrialRecord): Promise<void> {
    await this.storage.writeText(
      `${trial.dirName}/params.json`,
      `${JSON.stringify(trial.config, null, 2)}\n`,
    );
  }

  async appendResult(trial: TrialRecord, result: TrialMetrics): Promise<void> {
    await this.storage.appendText(`${trial.dirName}/result.json`, `${JSON.stringify(result)}\n`);
    const flat = flatten(result as Record<string, unknown>);
    let columns = this.columns.get(trial.trialId);
    if (!columns) {
      const existing = await this.storage.readText(`${trial.dirName}/progress.csv`);
      const header = existing?.split('\n', 1)[0];
      columns = header ? header.split(',') : Object.keys(flat);
      if (!header) await this.storage.appendText(`${trial.dirName}/progress.csv`, csvRow(columns));
      this.columns.set(trial.trialId, columns);
    }
    await this.storage.appendText(`${trial.dirName}/progress.csv`, csvRow(columns.map((c) => flat[c])));
  }

  async appendError(trial: TrialRecord, error: TrialErrorInfo): Promise<void> {
    const when = new Date().toISOString();
    await this.storage.appendText(
      `${trial.dirName}/error.txt`,
      `[${when}] ${error.stack ?? `${error.name}: ${error.message}`}\n`,
    );
  }

  /** Every result in result.json (for restore). */
  async readResults(trial: TrialRecord): Promise<TrialMetrics[]> {
    const text = await this.storage.readText(`${trial.dirName}/result.json`);
    if (!text) return [];
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as TrialMetrics];
        } catch {
          return []; // a line cut short by a crash
        }
      });
  }

  /** Start the result files over (restartErrored). */
  async reset(trial: TrialRecord): Promise<void> {
    this.columns.delete(trial.trialId);
    await this.storage.remove(`${trial.dirName}/result.json`);
    await this.storage.remove(`${trial.dirName}/progress.csv`);
  }
}
