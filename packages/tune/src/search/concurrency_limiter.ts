import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import {
  type Searcher,
  type SearchProperties,
  Suggestion,
  type SuggestResult,
  type TrialMetrics,
} from './types.ts';

const optionsSchema = z.strictObject({
  maxConcurrent: z.number().int().positive(),
  /** Wait for the whole batch of `maxConcurrent` trials to finish before suggesting more. */
  batch: z.boolean().optional(),
});
export type ConcurrencyLimiterOptions = z.input<typeof optionsSchema>;

/** Wraps a searcher so at most `maxConcurrent` of its suggestions are live at once. */
export class ConcurrencyLimiter implements Searcher {
  readonly name = 'concurrency-limiter';
  readonly maxConcurrent: number;
  private readonly batch: boolean;
  private live = new Set<string>();
  private batchOpen = true;

  constructor(
    readonly searcher: Searcher,
    options: ConcurrencyLimiterOptions,
  ) {
    const parsed = parseConfig(optionsSchema, options, 'ConcurrencyLimiter options');
    this.maxConcurrent = parsed.maxConcurrent;
    this.batch = parsed.batch ?? false;
  }

  setSearchProperties(props: SearchProperties): void {
    this.searcher.setSearchProperties(props);
  }

  suggest(trialId: string): SuggestResult {
    if (this.live.size >= this.maxConcurrent || (this.batch && !this.batchOpen)) return Suggestion.Wait;
    const result = this.searcher.suggest(trialId);
    if (typeof result === 'object') {
      this.live.add(trialId);
      if (this.batch && this.live.size >= this.maxConcurrent) this.batchOpen = false;
    }
    return result;
  }

  onTrialResult(trialId: string, result: TrialMetrics): void {
    if (this.live.has(trialId)) this.searcher.onTrialResult(trialId, result);
  }

  onTrialComplete(trialId: string, result?: TrialMetrics, error?: boolean): void {
    if (!this.live.delete(trialId)) return;
    this.searcher.onTrialComplete(trialId, result, error);
    if (this.live.size === 0) this.batchOpen = true;
  }

  save(): unknown {
    return { live: [...this.live], batchOpen: this.batchOpen, inner: this.searcher.save() };
  }

  restore(data: unknown): void {
    const state = data as { live: string[]; batchOpen: boolean; inner: unknown };
    this.live = new Set(state.live);
    this.batchOpen = state.batchOpen;
    this.searcher.restore(state.inner);
  }
}
