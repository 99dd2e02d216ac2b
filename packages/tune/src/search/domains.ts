import {
  type CategoricalDomain,
  DOMAIN,
  type Domain,
  type FloatDomain,
  type FunctionDomain,
  type GridDomain,
  type IntDomain,
  type NormalDomain,
} from './types.ts';

// Factories record their arguments; they are checked with the key they sit under when a
// space is validated (see space.ts), so errors can name `paramSpace.model.lr`.

/** Uniform float in [lower, upper). */
export function uniform(lower: number, upper: number): FloatDomain {
  return { [DOMAIN]: true, sampler: 'uniform', kind: 'float', lower, upper, log: false };
}
/** Uniform float in [lower, upper], rounded to a multiple of q. */
export function quniform(lower: number, upper: number, q: number): FloatDomain {
  return { [DOMAIN]: true, sampler: 'quniform', kind: 'float', lower, upper, log: false, q };
}
/** Float whose logarithm is uniform in [log(lower), log(upper)); lower must be > 0. */
export function loguniform(lower: number, upper: number): FloatDomain {
  return { [DOMAIN]: true, sampler: 'loguniform', kind: 'float', lower, upper, log: true };
}
/** Log-uniform float rounded to a multiple of q. */
export function qloguniform(lower: number, upper: number, q: number): FloatDomain {
  return { [DOMAIN]: true, sampler: 'qloguniform', kind: 'float', lower, upper, log: true, q };
}
/** Normal with mean and standard deviation sd. */
export function randn(mean = 0, sd = 1): NormalDomain {
  return { [DOMAIN]: true, sampler: 'randn', kind: 'normal', mean, sd };
}
/** Integer in [lower, upper) (upper excluded). */
export function randint(lower: number, upper: number): IntDomain {
  return { [DOMAIN]: true, sampler: 'randint', kind: 'int', lower, upper };
}
/** Integer in [lower, upper] (upper included) rounded to a multiple of q. */
export function qrandint(lower: number, upper: number, q = 1): IntDomain {
  return { [DOMAIN]: true, sampler: 'qrandint', kind: 'int', lower, upper, q };
}
/** One of `categories`, uniformly. */
export function choice<T>(categories: readonly T[]): CategoricalDomain<T> {
  return { [DOMAIN]: true, sampler: 'choice', kind: 'categorical', categories };
}
/** Try every value: the BasicVariantGenerator crosses all grids in a space. */
export function gridSearch<T>(values: readonly T[]): GridDomain<T> {
  return { [DOMAIN]: true, sampler: 'gridSearch', kind: 'grid', values };
}
/** Computed from the rest of the config, after every other value is drawn. */
export function sampleFrom<T>(fn: (config: Readonly<Record<string, unknown>>) => T): FunctionDomain<T> {
  return { [DOMAIN]: true, sampler: 'sampleFrom', kind: 'function', fn };
}

export function isDomain(value: unknown): value is Domain {
  return typeof value === 'object' && value !== null && (value as { [DOMAIN]?: unknown })[DOMAIN] === true;
}

/** Why this domain's arguments are invalid, or undefined if they are fine. */
export function domainProblem(domain: Domain): string | undefined {
  const finite = (x: unknown) => typeof x === 'number' && Number.isFinite(x);
  switch (domain.kind) {
    case 'float':
    case 'int': {
      if (!finite(domain.lower) || !finite(domain.upper))
        return `${domain.sampler} bounds must be finite numbers (got lower=${domain.lower}, upper=${domain.upper})`;
      if (domain.kind === 'float' && domain.log && domain.lower <= 0)
        return `${domain.sampler} lower bound must be > 0 (got ${domain.lower})`;
      if (domain.kind === 'int' && (!Number.isInteger(domain.lower) || !Number.isInteger(domain.upper)))
        return `${domain.sampler} bounds must be integers (got lower=${domain.lower}, upper=${domain.upper})`;
      const inclusive = domain.kind === 'float' || domain.q !== undefined;
      if (inclusive ? domain.upper < domain.lower : domain.upper <= domain.lower)
        return `${domain.sampler} upper bound must be ${inclusive ? '>=' : '>'} lower (got lower=${domain.lower}, upper=${domain.upper})`;
      if (domain.q !== undefined && (!finite(domain.q) || domain.q <= 0))
        return `${domain.sampler} q must be a positive number (got ${domain.q})`;
      return undefined;
    }
    case 'normal':
      if (!finite(domain.mean) || !finite(domain.sd) || domain.sd <= 0)
        return `randn needs a finite mean and sd > 0 (got mean=${domain.mean}, sd=${domain.sd})`;
      return undefined;
    case 'categorical':
      if (!Array.isArray(domain.categories) || domain.categories.length === 0)
        return 'choice needs a non-empty array of categories (got [])';
      return undefined;
    case 'grid':
      if (!Array.isArray(domain.values) || domain.values.length === 0)
        return 'gridSearch needs a non-empty array of values (got [])';
      return undefined;
    case 'function':
      return typeof domain.fn === 'function' ? undefined : 'sampleFrom needs a function';
  }
}
