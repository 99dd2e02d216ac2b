import { ConfigError } from '@manta/core';
import { isDomain, type Rng, sampleDomain, type TrialConfig } from '../search/index.ts';

/**
 * A mutation spec: a domain (resample from it, or scale by a perturbation factor), a list
 * (resample, or move to a neighbouring entry), a function (resample by calling it), or a
 * nested object of those.
 */
export type Mutations = Record<string, unknown>;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isDomain(v);
}

/** Problems with a mutation spec, each naming its key. */
export function mutationProblems(mutations: Mutations, prefix = 'hyperparamMutations'): string[] {
  return Object.entries(mutations).flatMap(([key, spec]) => {
    const where = `${prefix}.${key}`;
    if (isDomain(spec)) {
      return spec.kind === 'grid' || spec.kind === 'function'
        ? [`${where}: ${spec.sampler} cannot be used as a mutation`]
        : [];
    }
    if (Array.isArray(spec)) return spec.length === 0 ? [`${where}: an empty list cannot be sampled`] : [];
    if (typeof spec === 'function') return [];
    if (isPlainObject(spec)) return mutationProblems(spec, where);
    return [
      `${where}: expected a domain, a non-empty list, a function or a nested object (got ${JSON.stringify(spec)})`,
    ];
  });
}

export interface ExploreOptions {
  readonly resampleProbability: number;
  readonly perturbationFactors: readonly number[];
}

/** PBT's explore step (Ray's `_explore`): a perturbed copy of `config`. */
export function explore(
  config: TrialConfig,
  mutations: Mutations,
  options: ExploreOptions,
  rng: Rng,
): TrialConfig {
  const out = structuredClone(config);
  for (const [key, spec] of Object.entries(mutations)) {
    const current = out[key];
    const resample = rng.next() < options.resampleProbability;
    if (isPlainObject(spec) && typeof spec !== 'function') {
      if (!isPlainObject(current))
        throw new ConfigError(`hyperparamMutations.${key}: the config has no object at ${key}`);
      out[key] = explore(current, spec, options, rng);
    } else if (Array.isArray(spec) || (isDomain(spec) && spec.kind === 'categorical')) {
      const list: readonly unknown[] = Array.isArray(spec)
        ? spec
        : isDomain(spec) && spec.kind === 'categorical'
          ? spec.categories
          : [];
      const index = list.indexOf(current);
      if (resample || index < 0) out[key] = list[rng.int(list.length)];
      else out[key] = list[Math.min(Math.max(index + (rng.next() < 0.5 ? -1 : 1), 0), list.length - 1)];
    } else if (typeof spec === 'function') {
      out[key] =
        resample || typeof current !== 'number'
          ? (spec as () => unknown)()
          : perturb(current, options, rng, false);
    } else if (isDomain(spec)) {
      out[key] =
        resample || typeof current !== 'number'
          ? sampleDomain(spec, rng)
          : perturb(current, options, rng, spec.kind === 'int');
    }
  }
  return out;
}

function perturb(value: number, options: ExploreOptions, rng: Rng, integer: boolean): number {
  const factor = options.perturbationFactors[rng.int(options.perturbationFactors.length)];
  const next = value * factor;
  return integer ? Math.round(next) : next;
}
