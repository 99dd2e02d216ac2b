import { ConfigError } from '@manta/core';
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import { createRng, type Rng } from './rng.ts';
import { findDomains, resolveSpace, validateParamSpace } from './space.ts';
import {
  type ParamSpace,
  type Searcher,
  type SearchProperties,
  Suggestion,
  type SuggestResult,
} from './types.ts';

const optionsSchema = z.strictObject({
  paramSpace: z.record(z.string(), z.unknown()).optional(),
  /** -1 means no limit (stop with a time budget). */
  numSamples: z.number().int().min(-1).optional(),
  seed: z.union([z.number(), z.string()]).optional(),
});
export type BasicVariantGeneratorOptions = z.input<typeof optionsSchema>;

interface State {
  sampleIndex: number;
  gridIndex: number;
  rng: object;
}

/**
 * Ray's default searcher: `numSamples` repeats of the full grid (the product of every
 * gridSearch), random domains drawn fresh for each config from one seeded stream, so the
 * same seed gives the same configs in the same order.
 */
export class BasicVariantGenerator implements Searcher {
  readonly name = 'variant';
  private space: ParamSpace | undefined;
  private numSamples: number | undefined;
  private seed: number | string | undefined;
  private rng: Rng | undefined;
  private grids: { key: string; values: readonly unknown[] }[] = [];
  private gridSize = 1;
  private sampleIndex = 0;
  private gridIndex = 0;

  constructor(options: BasicVariantGeneratorOptions = {}) {
    const parsed = parseConfig(optionsSchema, options, 'BasicVariantGenerator options');
    this.numSamples = parsed.numSamples;
    this.seed = parsed.seed;
    if (parsed.paramSpace) this.setSpace(parsed.paramSpace);
  }

  setSearchProperties(props: SearchProperties): void {
    if (this.numSamples === undefined && props.numSamples !== undefined) this.numSamples = props.numSamples;
    if (this.seed === undefined && props.seed !== undefined) this.seed = props.seed;
    if (!this.space && props.paramSpace) this.setSpace(props.paramSpace);
  }

  /** How many configs this generator yields in all (Infinity with numSamples -1). */
  get totalVariants(): number {
    const n = this.numSamples ?? 1;
    return n < 0 ? Number.POSITIVE_INFINITY : n * this.gridSize;
  }

  private setSpace(space: ParamSpace): void {
    validateParamSpace(space);
    this.space = space;
    this.grids = findDomains(space)
      .filter((d) => d.domain.kind === 'grid')
      .map((d) => ({ key: d.path.join('.'), values: d.domain.kind === 'grid' ? d.domain.values : [] }));
    this.gridSize = this.grids.reduce((n, g) => n * g.values.length, 1);
  }

  private ensureRng(): Rng {
    this.rng ??= createRng(this.seed);
    return this.rng;
  }

  suggest(_trialId: string): SuggestResult {
    if (!this.space)
      throw new ConfigError('BasicVariantGenerator has no paramSpace: pass one or use it through a Tuner');
    const numSamples = this.numSamples ?? 1;
    if (numSamples >= 0 && this.sampleIndex >= numSamples) return Suggestion.Finished;
    const grid = new Map<string, unknown>();
    let rest = this.gridIndex;
    for (let i = this.grids.length - 1; i >= 0; i--) {
      const { key, values } = this.grids[i];
      grid.set(key, values[rest % values.length]);
      rest = Math.floor(rest / values.length);
    }
    const config = resolveSpace(this.space, this.ensureRng(), grid);
    this.gridIndex += 1;
    if (this.gridIndex >= this.gridSize) {
      this.gridIndex = 0;
      this.sampleIndex += 1;
    }
    return config;
  }

  onTrialResult(): void {}
  onTrialComplete(): void {}

  save(): State {
    return { sampleIndex: this.sampleIndex, gridIndex: this.gridIndex, rng: this.ensureRng().save() };
  }

  restore(data: unknown): void {
    const state = data as State;
    this.sampleIndex = state.sampleIndex;
    this.gridIndex = state.gridIndex;
    this.rng = createRng(undefined, state.rng);
  }
}
