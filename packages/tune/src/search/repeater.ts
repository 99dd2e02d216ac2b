import { ConfigError } from '@manta/core';
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { Searcher, SearchProperties, SuggestResult, TrialConfig, TrialMetrics } from './types.ts';

const optionsSchema = z.strictObject({
  repeat: z.number().int().min(1),
  /** Put the repeat index (0..repeat-1) into each config as `__trial_index__`. */
  setIndex: z.boolean().optional(),
});
export type RepeaterOptions = z.input<typeof optionsSchema>;

interface Group {
  config: TrialConfig;
  /** The trial id the inner searcher knows the group by. */
  id: string;
  members: string[];
  scores: Record<string, number | null>;
}

/**
 * Runs every suggestion `repeat` times (e.g. over different seeds) and tells the inner
 * searcher the mean of the metric once every repeat has finished, as Ray's Repeater.
 */
export class Repeater implements Searcher {
  readonly name = 'repeater';
  readonly repeat: number;
  private readonly setIndex: boolean;
  private metric: string | undefined;
  private groups: Group[] = [];
  private byTrial = new Map<string, Group>();

  constructor(
    readonly searcher: Searcher,
    options: RepeaterOptions,
  ) {
    const parsed = parseConfig(optionsSchema, options, 'Repeater options');
    this.repeat = parsed.repeat;
    this.setIndex = parsed.setIndex ?? true;
  }

  setSearchProperties(props: SearchProperties): void {
    this.metric ??= props.metric;
    this.searcher.setSearchProperties(props);
  }

  suggest(trialId: string): SuggestResult {
    let group = this.groups[this.groups.length - 1];
    if (!group || group.members.length >= this.repeat) {
      const result = this.searcher.suggest(trialId);
      if (typeof result !== 'object') return result;
      group = { config: result, id: trialId, members: [], scores: {} };
      this.groups.push(group);
    }
    const index = group.members.length;
    group.members.push(trialId);
    this.byTrial.set(trialId, group);
    const config = structuredClone(group.config);
    if (this.setIndex) config.__trial_index__ = index;
    return config;
  }

  onTrialResult(): void {
    // Intermediate results of single repeats are not meaningful to the inner searcher.
  }

  onTrialComplete(trialId: string, result?: TrialMetrics, error?: boolean): void {
    const group = this.byTrial.get(trialId);
    if (!group) return;
    if (!this.metric) throw new ConfigError('Repeater needs a metric: set tuneConfig.metric');
    const value = result?.[this.metric];
    group.scores[trialId] = !error && typeof value === 'number' && Number.isFinite(value) ? value : null;
    if (group.members.length < this.repeat || Object.keys(group.scores).length < this.repeat) return;
    const valid = Object.values(group.scores).filter((s): s is number => s !== null);
    if (valid.length === 0) this.searcher.onTrialComplete(group.id, undefined, true);
    else
      this.searcher.onTrialComplete(group.id, {
        [this.metric]: valid.reduce((a, b) => a + b, 0) / valid.length,
      });
    this.groups = this.groups.filter((g) => g !== group);
    for (const member of group.members) this.byTrial.delete(member);
  }

  save(): unknown {
    return { metric: this.metric, groups: this.groups, inner: this.searcher.save() };
  }

  restore(data: unknown): void {
    const state = data as { metric?: string; groups: Group[]; inner: unknown };
    this.metric ??= state.metric;
    this.groups = state.groups;
    this.byTrial = new Map(this.groups.flatMap((g) => g.members.map((m) => [m, g] as const)));
    this.searcher.restore(state.inner);
  }
}
