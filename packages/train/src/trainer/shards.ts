import { ConfigError } from '@manta/core';

/**
 * Splits each dataset into one shard per worker: row i goes to rank i mod n, so rank r's k-th
 * batch of size B and the other ranks' together hold exactly the rows of the k-th batch of size
 * n·B on one worker (the equivalence data-parallel training relies on).
 * Arrays and typed arrays are sharded; a Dataset with `split(n)` is split by it.
 */
export function shardDatasets(datasets: Record<string, unknown>, n: number): Record<string, unknown>[] {
  const shards: Record<string, unknown>[] = Array.from({ length: n }, () => ({}));
  for (const [name, data] of Object.entries(datasets)) {
    const parts = shardOne(name, data, n);
    parts.forEach((part, rank) => {
      shards[rank][name] = part;
    });
  }
  return shards;
}

function shardOne(name: string, data: unknown, n: number): unknown[] {
  if (Array.isArray(data)) return Array.from({ length: n }, (_, r) => data.filter((_, i) => i % n === r));
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const typed = data as unknown as {
      length: number;
      filter(fn: (v: number, i: number) => boolean): unknown;
    };
    return Array.from({ length: n }, (_, r) => typed.filter((_, i) => i % n === r));
  }
  if (data && typeof (data as { split?: unknown }).split === 'function') {
    return (data as { split(n: number): unknown[] }).split(n);
  }
  throw new ConfigError(
    `trainer config.datasets.${name}: expected an array, a typed array, or a Dataset with split(n); got ${data === null ? 'null' : typeof data}`,
  );
}
