export { BasicVariantGenerator, type BasicVariantGeneratorOptions } from './basic_variant.ts';
export { ConcurrencyLimiter, type ConcurrencyLimiterOptions } from './concurrency_limiter.ts';
export {
  choice,
  gridSearch,
  isDomain,
  loguniform,
  qloguniform,
  qrandint,
  quniform,
  randint,
  randn,
  sampleFrom,
  uniform,
} from './domains.ts';
export { createSearcher, SEARCHERS, type SearcherName } from './registry.ts';
export { Repeater, type RepeaterOptions } from './repeater.ts';
export { childSeed, createRng, type Rng } from './rng.ts';
export {
  deserializeSpace,
  findDomains,
  getAtPath,
  resolveSpace,
  sampleDomain,
  serializeSpace,
  setAtPath,
  validateParamSpace,
} from './space.ts';
export { TPESearcher, type TPESearcherOptions } from './tpe.ts';
export {
  type CategoricalDomain,
  type Domain,
  DomainKind,
  type FloatDomain,
  type FunctionDomain,
  type GridDomain,
  type IntDomain,
  Mode,
  type NormalDomain,
  type ParamSpace,
  type Searcher,
  type SearchProperties,
  Suggestion,
  type SuggestResult,
  type TrialConfig,
  type TrialMetrics,
} from './types.ts';
