import { ConfigError } from '@manta/core';
import { domainProblem, isDomain } from './domains.ts';
import type { Rng } from './rng.ts';
import { DOMAIN, type Domain, type ParamSpace, type TrialConfig } from './types.ts';

/** A domain found in a space, with the path of keys that leads to it. */
export interface DomainAt {
  readonly path: readonly string[];
  readonly domain: Domain;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Every domain in `space` (nested objects walked), in key order. */
export function findDomains(space: ParamSpace, prefix: readonly string[] = []): DomainAt[] {
  const found: DomainAt[] = [];
  for (const [key, value] of Object.entries(space)) {
    const path = [...prefix, key];
    if (isDomain(value)) found.push({ path, domain: value });
    else if (isPlainObject(value)) found.push(...findDomains(value, path));
  }
  return found;
}

/** Throw one ConfigError naming every bad key (e.g. `paramSpace.model.lr: loguniform lower bound must be > 0`). */
export function validateParamSpace(space: unknown, what = 'paramSpace'): void {
  if (!isPlainObject(space)) {
    throw new ConfigError(
      `Invalid ${what}: expected a plain object of values and domains (got ${typeof space})`,
      [`${what}: expected object`],
    );
  }
  const issues = findDomains(space).flatMap(({ path, domain }) => {
    const problem = domainProblem(domain);
    return problem ? [`${what}.${path.join('.')}: ${problem}`] : [];
  });
  if (issues.length > 0) throw new ConfigError(`Invalid ${what}:\n  ${issues.join('\n  ')}`, issues);
}

function roundTo(value: number, q: number): number {
  return Number.parseFloat((Math.round(value / q) * q).toPrecision(12));
}

/** Round to the nearest multiple of q that lies in [lower, upper] (when one does). */
export function quantize(value: number, q: number, lower: number, upper: number): number {
  const v = roundTo(value, q);
  if (v < lower) return Math.min(roundTo(Math.ceil(lower / q) * q, q), upper);
  if (v > upper) return Math.max(roundTo(Math.floor(upper / q) * q, q), lower);
  return v;
}

/** Draw one value from a random (non-grid, non-function) domain. */
export function sampleDomain(domain: Domain, rng: Rng): unknown {
  switch (domain.kind) {
    case 'float': {
      const { lower, upper, q } = domain;
      let v = domain.log
        ? Math.exp(Math.log(lower) + rng.next() * (Math.log(upper) - Math.log(lower)))
        : lower + rng.next() * (upper - lower);
      if (q !== undefined) v = quantize(v, q, lower, upper);
      return v;
    }
    case 'int': {
      const { lower, upper, q } = domain;
      if (q === undefined) return lower + rng.int(upper - lower);
      return Math.round(quantize(lower + rng.next() * (upper - lower), q, lower, upper));
    }
    case 'normal':
      return domain.mean + domain.sd * rng.normal();
    case 'categorical':
      return domain.categories[rng.int(domain.categories.length)];
    case 'grid':
    case 'function':
      throw new Error(`sampleDomain cannot draw from ${domain.sampler}`);
  }
}

export function getAtPath(config: Record<string, unknown>, path: readonly string[]): unknown {
  let current: unknown = config;
  for (const key of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

export function setAtPath(config: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let current = config;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(current[key])) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[path[path.length - 1]] = value;
}

function cloneSpace(space: ParamSpace): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(space))
    out[key] = isPlainObject(value) && !isDomain(value) ? cloneSpace(value) : value;
  return out;
}

/**
 * Resolve `space` into a config: a domain whose joined path (`model.lr`) is in `fixed` takes
 * that value (grid points, a searcher's choices), other random domains draw from `rng` in key
 * order, then sampleFrom functions run in key order against the config resolved so far.
 */
export function resolveSpace(
  space: ParamSpace,
  rng: Rng,
  fixed: ReadonlyMap<string, unknown> = new Map(),
): TrialConfig {
  const config = cloneSpace(space);
  const domains = findDomains(space);
  const deferred: DomainAt[] = [];
  for (const at of domains) {
    const { domain, path } = at;
    const key = path.join('.');
    if (fixed.has(key)) setAtPath(config, path, fixed.get(key));
    else if (domain.kind === 'function') deferred.push(at);
    else if (domain.kind === 'grid') setAtPath(config, path, domain.values[0]);
    else setAtPath(config, path, sampleDomain(domain, rng));
  }
  for (const { domain, path } of deferred) {
    if (domain.kind === 'function') setAtPath(config, path, domain.fn(config));
  }
  return config;
}

/** Encode a space as JSON data (domains become `{ $domain: {...} }`); undefined if it holds functions. */
export function serializeSpace(space: ParamSpace): unknown {
  try {
    return JSON.parse(
      JSON.stringify(space, (_key, value) => {
        if (isDomain(value)) {
          if (value.kind === 'function') throw new Error('function domain');
          const { [DOMAIN]: _brand, ...rest } = value as Domain & Record<string, unknown>;
          return { $domain: rest };
        }
        if (typeof value === 'function') throw new Error('function value');
        return value;
      }),
    );
  } catch {
    return undefined;
  }
}

/** Inverse of serializeSpace. */
export function deserializeSpace(data: unknown): ParamSpace {
  const revive = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(revive);
    if (!isPlainObject(value)) return value;
    if (isPlainObject(value.$domain)) {
      const inner = revive(value.$domain) as Record<string, unknown>;
      return { ...inner, [DOMAIN]: true };
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
  };
  return revive(data) as ParamSpace;
}
