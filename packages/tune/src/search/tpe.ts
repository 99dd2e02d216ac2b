import { ConfigError } from '@manta/core';
import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import { CategoricalParzen, NumericParzen } from './parzen.ts';
import { createRng, type Rng } from './rng.ts';
import {
  type DomainAt,
  findDomains,
  getAtPath,
  quantize,
  resolveSpace,
  validateParamSpace,
} from './space.ts';
import type {
  Domain,
  Mode,
  ParamSpace,
  Searcher,
  SearchProperties,
  SuggestResult,
  TrialMetrics,
} from './types.ts';

const optionsSchema = z.strictObject({
  paramSpace: z.record(z.string(), z.unknown()).optional(),
  metric: z.string().min(1).optional(),
  mode: z.enum(['min', 'max']).optional(),
  /** Random configs before the model is used. */
  nStartupTrials: z.number().int().min(1).optional(),
  /** Candidates drawn from l(x) per parameter; the one maximising l(x)/g(x) wins. */
  nEiCandidates: z.number().int().min(1).optional(),
  /** Fraction of observations that form the "good" set l(x) (at most 25 trials), as Optuna. */
  gamma: z.number().gt(0).lt(1).optional(),
  priorWeight: z.number().positive().optional(),
  seed: z.union([z.number(), z.string()]).optional(),
});
export type TPESearcherOptions = z.input<typeof optionsSchema>;

interface Observation {
  values: Record<string, unknown>;
  loss: number;
}

/** One dimension of the model, in the space the estimator works in (log for log domains). */
interface Dim {
  key: string;
  domain: Exclude<Domain, { kind: 'grid' | 'function' }>;
  low: number;
  high: number;
  toModel: (value: unknown) => number;
  fromModel: (x: number) => unknown;
}

/**
 * Tree-structured Parzen Estimator (Bergstra et al. 2011, as in HyperOpt and Optuna): after
 * `nStartupTrials` random configs, split finished trials into the best `gamma` fraction and
 * the rest, fit a Parzen estimator to each per parameter, and pick the candidate drawn from
 * the good one that maximises l(x)/g(x). Parameters are modelled independently.
 */
export class TPESearcher implements Searcher {
  readonly name = 'tpe';
  private space: ParamSpace | undefined;
  private dims: Dim[] = [];
  private metric: string | undefined;
  private mode: Mode | undefined;
  private seed: number | string | undefined;
  private rng: Rng | undefined;
  private readonly nStartupTrials: number;
  private readonly nEiCandidates: number;
  private readonly gamma: number;
  private readonly priorWeight: number;
  private observations: Observation[] = [];
  private pending = new Map<string, Record<string, unknown>>();

  constructor(options: TPESearcherOptions = {}) {
    const parsed = parseConfig(optionsSchema, options, 'TPESearcher options');
    this.metric = parsed.metric;
    this.mode = parsed.mode;
    this.seed = parsed.seed;
    this.nStartupTrials = parsed.nStartupTrials ?? 10;
    this.nEiCandidates = parsed.nEiCandidates ?? 24;
    this.gamma = parsed.gamma ?? 0.1;
    this.priorWeight = parsed.priorWeight ?? 1;
    if (parsed.paramSpace) this.setSpace(parsed.paramSpace);
  }

  setSearchProperties(props: SearchProperties): void {
    this.metric ??= props.metric;
    this.mode ??= props.mode;
    this.seed ??= props.seed;
    if (!this.space && props.paramSpace) this.setSpace(props.paramSpace);
  }

  private setSpace(space: ParamSpace): void {
    validateParamSpace(space);
    const domains = findDomains(space);
    const grid = domains.find((d) => d.domain.kind === 'grid');
    if (grid) {
      const issue = `paramSpace.${grid.path.join('.')}: gridSearch is not supported by TPESearcher; use choice()`;
      throw new ConfigError(`Invalid paramSpace:\n  ${issue}`, [issue]);
    }
    this.space = space;
    this.dims = domains.filter((d) => d.domain.kind !== 'function').map(toDim);
  }

  private ensureRng(): Rng {
    this.rng ??= createRng(this.seed);
    return this.rng;
  }

  suggest(trialId: string): SuggestResult {
    if (!this.space)
      throw new ConfigError('TPESearcher has no paramSpace: pass one or use it through a Tuner');
    if (!this.metric || !this.mode)
      throw new ConfigError('TPESearcher needs a metric and mode (options or tuneConfig)');
    const rng = this.ensureRng();
    const fixed = new Map<string, unknown>();
    if (this.observations.length >= this.nStartupTrials) {
      const sorted = [...this.observations].sort((a, b) => a.loss - b.loss);
      const nBelow = Math.max(1, Math.min(Math.ceil(this.gamma * sorted.length), 25));
      const below = sorted.slice(0, nBelow);
      const above = sorted.slice(nBelow);
      for (const dim of this.dims) fixed.set(dim.key, this.sampleDim(dim, below, above, rng));
    }
    const config = resolveSpace(this.space, rng, fixed);
    this.pending.set(
      trialId,
      Object.fromEntries(this.dims.map((d) => [d.key, getAtPath(config, d.key.split('.'))])),
    );
    return config;
  }

  private sampleDim(dim: Dim, below: Observation[], above: Observation[], rng: Rng): unknown {
    if (dim.domain.kind === 'categorical') {
      const size = dim.domain.categories.length;
      const index = (o: Observation) =>
        dim.domain.kind === 'categorical' ? dim.domain.categories.indexOf(o.values[dim.key]) : -1;
      const l = new CategoricalParzen(
        below.map(index).filter((i) => i >= 0),
        size,
        this.priorWeight,
      );
      const g = new CategoricalParzen(
        above.map(index).filter((i) => i >= 0),
        size,
        this.priorWeight,
      );
      let best = 0;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < this.nEiCandidates; c++) {
        const i = l.sample(rng);
        const score = l.logPdf(i) - g.logPdf(i);
        if (score > bestScore) [best, bestScore] = [i, score];
      }
      return dim.domain.categories[best];
    }
    const prior =
      dim.domain.kind === 'normal'
        ? { mu: dim.domain.mean, sigma: dim.domain.sd, weight: this.priorWeight }
        : { mu: (dim.low + dim.high) / 2, sigma: dim.high - dim.low, weight: this.priorWeight };
    const xs = (set: Observation[]) => set.map((o) => dim.toModel(o.values[dim.key])).filter(Number.isFinite);
    const l = new NumericParzen(xs(below), dim.low, dim.high, prior);
    const g = new NumericParzen(xs(above), dim.low, dim.high, prior);
    let best = l.sample(rng);
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < this.nEiCandidates; c++) {
      const x = c === 0 ? best : l.sample(rng);
      const score = l.logPdf(x) - g.logPdf(x);
      if (score > bestScore) [best, bestScore] = [x, score];
    }
    return dim.fromModel(best);
  }

  onTrialResult(): void {}

  onTrialComplete(trialId: string, result?: TrialMetrics, error?: boolean): void {
    const values = this.pending.get(trialId);
    this.pending.delete(trialId);
    const value = this.metric ? result?.[this.metric] : undefined;
    if (!values || error || typeof value !== 'number' || !Number.isFinite(value)) return;
    this.observations.push({ values, loss: this.mode === 'max' ? -value : value });
  }

  save(): unknown {
    return {
      observations: this.observations,
      pending: Object.fromEntries(this.pending),
      rng: this.ensureRng().save(),
    };
  }

  restore(data: unknown): void {
    const state = data as {
      observations: Observation[];
      pending: Record<string, Record<string, unknown>>;
      rng: object;
    };
    this.observations = state.observations;
    this.pending = new Map(Object.entries(state.pending));
    this.rng = createRng(undefined, state.rng);
  }
}

function toDim({ path, domain }: DomainAt): Dim {
  const key = path.join('.');
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  switch (domain.kind) {
    case 'float': {
      const { lower, upper, q, log } = domain;
      const t = (v: number) => (log ? Math.log(v) : v);
      const half = q !== undefined ? q / 2 : 0;
      const low = log ? Math.log(Math.max(lower - half, lower / 2)) : lower - half;
      const high = t(upper + half);
      return {
        key,
        domain,
        low,
        high,
        toModel: (v) => t(Number(v)),
        fromModel: (x) => {
          const v = log ? Math.exp(x) : x;
          return q !== undefined ? quantize(v, q, lower, upper) : clamp(v, lower, upper);
        },
      };
    }
    case 'int': {
      const { lower, upper, q } = domain;
      const hi = q === undefined ? upper - 1 : upper;
      const step = q ?? 1;
      return {
        key,
        domain,
        low: lower - step / 2,
        high: hi + step / 2,
        toModel: (v) => Number(v),
        fromModel: (x) => Math.round(quantize(x, step, lower, hi)),
      };
    }
    case 'normal':
      return {
        key,
        domain,
        low: domain.mean - 10 * domain.sd,
        high: domain.mean + 10 * domain.sd,
        toModel: (v) => Number(v),
        fromModel: (x) => x,
      };
    case 'categorical':
      return { key, domain, low: 0, high: 1, toModel: () => Number.NaN, fromModel: (x) => x };
    default:
      throw new Error(`unreachable: ${domain.sampler}`);
  }
}
