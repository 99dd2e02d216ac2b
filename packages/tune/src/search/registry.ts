import { ConfigError } from '@manta/core';
import { BasicVariantGenerator, type BasicVariantGeneratorOptions } from './basic_variant.ts';
import { TPESearcher, type TPESearcherOptions } from './tpe.ts';
import type { Searcher } from './types.ts';

/** Searcher factories by name. */
export const SEARCHERS = {
  variant: (options?: unknown) => new BasicVariantGenerator((options ?? {}) as BasicVariantGeneratorOptions),
  random: (options?: unknown) => new BasicVariantGenerator((options ?? {}) as BasicVariantGeneratorOptions),
  tpe: (options?: unknown) => new TPESearcher((options ?? {}) as TPESearcherOptions),
} as const satisfies Record<string, (options?: unknown) => Searcher>;
export type SearcherName = keyof typeof SEARCHERS;

/** Build a searcher by name; an unknown name throws a ConfigError listing the known ones. */
export function createSearcher(name: string, options?: unknown): Searcher {
  if (!Object.hasOwn(SEARCHERS, name)) {
    const known = Object.keys(SEARCHERS).join(', ');
    throw new ConfigError(`Unknown searcher '${name}'; known searchers: ${known}`, [
      `searchAlg: '${name}' is not one of ${known}`,
    ]);
  }
  return SEARCHERS[name as SearcherName](options);
}
