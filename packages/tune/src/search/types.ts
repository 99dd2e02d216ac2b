/** Marks plain objects that are search-space domains (not nested config objects). */
export const DOMAIN = Symbol.for('manta.tune.domain');

export const DomainKind = {
  Float: 'float',
  Int: 'int',
  Normal: 'normal',
  Categorical: 'categorical',
  Grid: 'grid',
  Function: 'function',
} as const;
export type DomainKind = (typeof DomainKind)[keyof typeof DomainKind];

interface DomainBase {
  readonly [DOMAIN]: true;
  /** The factory that built it, for messages: 'uniform', 'qloguniform', ... */
  readonly sampler: string;
}
/** Continuous value in [lower, upper), optionally on a log scale and/or rounded to a multiple of q. */
export interface FloatDomain extends DomainBase {
  readonly kind: 'float';
  readonly lower: number;
  readonly upper: number;
  readonly log: boolean;
  readonly q?: number;
}
/** Integer in [lower, upper) (upper exclusive, as Ray's randint), optionally rounded to a multiple of q (then inclusive). */
export interface IntDomain extends DomainBase {
  readonly kind: 'int';
  readonly lower: number;
  readonly upper: number;
  readonly q?: number;
}
export interface NormalDomain extends DomainBase {
  readonly kind: 'normal';
  readonly mean: number;
  readonly sd: number;
}
export interface CategoricalDomain<T = unknown> extends DomainBase {
  readonly kind: 'categorical';
  readonly categories: readonly T[];
}
/** Every value is tried (BasicVariantGenerator crosses all grids). */
export interface GridDomain<T = unknown> extends DomainBase {
  readonly kind: 'grid';
  readonly values: readonly T[];
}
/** Computed from the rest of the resolved config (called after all other values are drawn). */
export interface FunctionDomain<T = unknown> extends DomainBase {
  readonly kind: 'function';
  readonly fn: (config: Readonly<Record<string, unknown>>) => T;
}
export type Domain = FloatDomain | IntDomain | NormalDomain | CategoricalDomain | GridDomain | FunctionDomain;

/** A nested object whose leaves are constants or domains. */
export type ParamSpace = Record<string, unknown>;
/** A resolved config: the param space with every domain replaced by a value. */
export type TrialConfig = Record<string, unknown>;

export const Mode = { Min: 'min', Max: 'max' } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** What `Searcher.suggest` returns besides a config. */
export const Suggestion = {
  /** Nothing now; ask again after some trial completes. */
  Wait: 'WAIT',
  /** The searcher will never suggest again. */
  Finished: 'FINISHED',
} as const;
export type Suggestion = (typeof Suggestion)[keyof typeof Suggestion];
export type SuggestResult = TrialConfig | Suggestion;

/** Set by the Tuner on searchers that were built without their own metric, mode or space. */
export interface SearchProperties {
  readonly metric?: string;
  readonly mode?: Mode;
  readonly paramSpace?: ParamSpace;
  readonly seed?: number | string;
  /** How many suggestions the Tuner will ask for at most (numSamples). */
  readonly numSamples?: number;
}

export type TrialMetrics = Readonly<Record<string, unknown>>;

/** A search algorithm: suggests configs and learns from results. Its state saves to plain JSON data. */
export interface Searcher {
  readonly name: string;
  /** Fill in metric/mode/space from tuneConfig when the searcher has none. Throws ConfigError on conflicts. */
  setSearchProperties(props: SearchProperties): void;
  suggest(trialId: string): SuggestResult;
  onTrialResult(trialId: string, result: TrialMetrics): void;
  /** `result` is the last result (undefined if none); `error` is true when the trial errored. */
  onTrialComplete(trialId: string, result?: TrialMetrics, error?: boolean): void;
  save(): unknown;
  restore(data: unknown): void;
}
