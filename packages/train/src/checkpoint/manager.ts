/**
 * Tracks reported checkpoints with their metrics, keeps the best `numToKeep` by score plus the
 * latest (as Ray does), and deletes the others. Ranking: a higher (scoreOrder 'max') or lower
 * ('min') score is better; NaN ranks worst; ties go to the newer checkpoint. Without a
 * scoreAttribute, newer is better.
 */
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { StorageOptions } from '../storage/index.ts';
import { Checkpoint } from './checkpoint.ts';
import { CheckpointMetricMissingError } from './errors.ts';
import type { CheckpointConfig, CheckpointManagerState, ScoreOrder, TrackedCheckpoint } from './types.ts';

const configSchema = z.strictObject({
  numToKeep: z.number().int().min(1).optional(),
  scoreAttribute: z.string().min(1).optional(),
  scoreOrder: z.enum(['max', 'min']).optional(),
});

export interface RegisterResult {
  /** Checkpoints dropped from tracking by this report (deleted unless deletion failed). */
  evicted: TrackedCheckpoint[];
  /** Deletions that failed; the checkpoints are no longer tracked either way. */
  deleteErrors: Error[];
}

export class CheckpointManager {
  readonly numToKeep: number | undefined;
  readonly scoreAttribute: string | undefined;
  readonly scoreOrder: ScoreOrder;
  private tracked: TrackedCheckpoint[] = [];
  private nextOrder = 0;

  constructor(config: CheckpointConfig = {}) {
    const parsed = parseConfig(configSchema, config, 'checkpointConfig');
    this.numToKeep = parsed.numToKeep;
    this.scoreAttribute = parsed.scoreAttribute;
    this.scoreOrder = parsed.scoreOrder ?? 'max';
  }

  /**
   * Tracks a (persisted) checkpoint reported with `metrics`, then deletes those that fall out
   * of the kept set. Throws CheckpointMetricMissingError, tracking nothing, when a
   * scoreAttribute is configured and the metrics lack it.
   */
  async register(checkpoint: Checkpoint, metrics: Record<string, unknown>): Promise<RegisterResult> {
    if (this.scoreAttribute !== undefined) scoreOf(metrics, this.scoreAttribute);
    const entry: TrackedCheckpoint = { checkpoint, metrics: { ...metrics }, order: this.nextOrder++ };
    this.tracked.push(entry);
    const keep = new Set(this.kept());
    const evicted = this.tracked.filter((t) => !keep.has(t));
    this.tracked = this.tracked.filter((t) => keep.has(t));
    const deleteErrors: Error[] = [];
    const keptUris = new Set(this.tracked.map((t) => t.checkpoint.uri));
    for (const gone of evicted) {
      if (keptUris.has(gone.checkpoint.uri)) continue;
      await gone.checkpoint.delete().catch((error: Error) => deleteErrors.push(error));
    }
    return { evicted, deleteErrors };
  }

  /** The most recently reported checkpoint still tracked. */
  get latest(): TrackedCheckpoint | undefined {
    return this.tracked.reduce<TrackedCheckpoint | undefined>(
      (a, t) => (!a || t.order > a.order ? t : a),
      undefined,
    );
  }

  /** The best checkpoint by score (the latest without a scoreAttribute). */
  get best(): TrackedCheckpoint | undefined {
    return this.bestCheckpoints[0];
  }

  /** Tracked checkpoints, best first. */
  get bestCheckpoints(): TrackedCheckpoint[] {
    return [...this.tracked].sort((a, b) => this.compare(b, a));
  }

  /** Tracked checkpoints in report order. */
  get checkpoints(): TrackedCheckpoint[] {
    return [...this.tracked];
  }

  save(): CheckpointManagerState {
    return {
      version: 1,
      nextOrder: this.nextOrder,
      checkpoints: this.tracked.map((t) => ({ uri: t.checkpoint.uri, metrics: t.metrics, order: t.order })),
    };
  }

  /** A manager tracking what `state` (from `save()`) recorded; deletes nothing. */
  static restore(
    state: CheckpointManagerState,
    config: CheckpointConfig = {},
    storage: StorageOptions = {},
  ): CheckpointManager {
    const manager = new CheckpointManager(config);
    manager.tracked = state.checkpoints.map((c) => ({
      checkpoint: Checkpoint.fromUri(c.uri, storage),
      metrics: c.metrics,
      order: c.order,
    }));
    manager.nextOrder = Math.max(state.nextOrder, ...manager.tracked.map((t) => t.order + 1));
    return manager;
  }

  /** The checkpoints to keep: the best numToKeep, plus the latest. */
  private kept(): TrackedCheckpoint[] {
    if (this.numToKeep === undefined) return this.tracked;
    const best = this.bestCheckpoints.slice(0, this.numToKeep);
    const latest = this.latest;
    return latest && !best.includes(latest) ? [...best, latest] : best;
  }

  /** > 0 when `a` is better than `b`. */
  private compare(a: TrackedCheckpoint, b: TrackedCheckpoint): number {
    if (this.scoreAttribute !== undefined) {
      const sa = rank(scoreOf(a.metrics, this.scoreAttribute), this.scoreOrder);
      const sb = rank(scoreOf(b.metrics, this.scoreAttribute), this.scoreOrder);
      if (sa !== sb) return sa > sb ? 1 : -1;
    }
    return a.order - b.order;
  }
}

/** The score as "higher is better", NaN ranking below everything. */
function rank(score: number, order: ScoreOrder): number {
  if (Number.isNaN(score)) return Number.NEGATIVE_INFINITY;
  return order === 'max' ? score : -score;
}

/** `metrics[attribute]`, or the nested value at `a/b` (as flattened metric names read). */
function scoreOf(metrics: Record<string, unknown>, attribute: string): number {
  let value: unknown = metrics[attribute];
  if (value === undefined && attribute.includes('/')) {
    value = attribute
      .split('/')
      .reduce<unknown>(
        (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        metrics,
      );
  }
  if (typeof value !== 'number')
    throw new CheckpointMetricMissingError(attribute, Object.keys(metrics), value);
  return value;
}
