import type { TrialStatus, TrialView } from '../schedulers/index.ts';
import type { TrialConfig, TrialMetrics } from '../search/index.ts';

export interface TrialErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
}

/** Everything the controller knows about a trial; saved in experiment_state.json (less history). */
export interface TrialRecord {
  readonly trialId: string;
  readonly index: number;
  trialName: string;
  /** Folder of the trial, relative to the experiment root. */
  dirName: string;
  experimentTag: string;
  status: TrialStatus;
  config: TrialConfig;
  lastResult: TrialMetrics | undefined;
  /** Results reported so far (training iterations). */
  iteration: number;
  timeTotalS: number;
  /** Latest complete checkpoint, relative to the experiment root. */
  checkpoint: string | undefined;
  /** The iteration that checkpoint was taken at. */
  checkpointIteration: number;
  /** Checkpoint folders kept (oldest first), relative to the root. */
  checkpoints: string[];
  nextCheckpointIndex: number;
  numFailures: number;
  error: TrialErrorInfo | undefined;
  /** Every result, in order (rebuilt from result.json on restore; not in experiment_state.json). */
  history: TrialMetrics[];
}

export type TrialRecordData = Omit<TrialRecord, 'history'>;

export function toData(trial: TrialRecord): TrialRecordData {
  const { history: _history, ...data } = trial;
  return data;
}

/** A snapshot of the trial for schedulers (read-only; no way back to the controller). */
export function viewOf(trial: TrialRecord, absCheckpoint?: string): TrialView {
  return Object.freeze({
    trialId: trial.trialId,
    status: trial.status,
    config: trial.config,
    lastResult: trial.lastResult,
    checkpoint: absCheckpoint ?? trial.checkpoint,
  });
}

function short(value: unknown): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : Number(value.toPrecision(4)).toString();
  if (typeof value === 'string') return value;
  return JSON.stringify(value) ?? String(value);
}

/** Flatten nested config keys with dots: { a: { b: 1 } } → { 'a.b': 1 }. */
export function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (typeof v === 'object' && v !== null && !Array.isArray(v))
      Object.assign(out, flatten(v as Record<string, unknown>, key));
    else out[key] = v;
  }
  return out;
}

/** Ray's experiment tag: `index_key=value,...` over the sampled values. */
export function experimentTag(index: number, config: TrialConfig, keys: readonly string[]): string {
  const flat = flatten(config);
  const parts = keys.filter((k) => k in flat).map((k) => `${k.split('.').pop()}=${short(flat[k])}`);
  return parts.length > 0 ? `${index}_${parts.join(',')}` : String(index);
}

export function safeDirName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.=,-]+/g, '_').slice(0, 120);
}
