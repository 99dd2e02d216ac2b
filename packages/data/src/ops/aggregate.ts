import type { Block, ColumnInput } from '../block/index.ts';
import { blockFromColumns, cellAt, concatBlocks } from '../block/index.ts';
import { DataSchemaError } from '../errors/index.ts';
import { compareValues } from './sort.ts';
import type { AggregateSpec, AllToAllFn } from './types.ts';

export function aggregateName(spec: AggregateSpec): string {
  return spec.name ?? `${spec.fn}(${spec.column ?? ''})`;
}

interface Acc {
  count: number;
  sum: number;
  min: unknown;
  max: unknown;
}

/** Group rows by `keys` (none: one group) and compute the aggregations; groups come out sorted. */
export function aggregateFn(keys: readonly string[], specs: readonly AggregateSpec[]): AllToAllFn {
  return (blocks) => {
    const all = concatBlocks(blocks);
    for (const name of [...keys, ...specs.flatMap((s) => (s.column ? [s.column] : []))]) {
      if (all.numRows > 0 && !all.columns[name]) {
        throw new DataSchemaError(
          `groupBy/aggregate column "${name}" does not exist; columns are [${Object.keys(all.columns)}]`,
          name,
        );
      }
    }
    const groups = new Map<string, { key: unknown[]; accs: Acc[] }>();
    for (let i = 0; i < all.numRows; i++) {
      const key = keys.map((k) => cellAt(all.columns[k], i));
      const id = JSON.stringify(key);
      let g = groups.get(id);
      if (!g) {
        g = { key, accs: specs.map(() => ({ count: 0, sum: 0, min: undefined, max: undefined })) };
        groups.set(id, g);
      }
      specs.forEach((spec, s) => {
        const acc = g.accs[s];
        if (!spec.column) {
          acc.count++;
          return;
        }
        const v = cellAt(all.columns[spec.column], i);
        if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return;
        acc.count++;
        if (typeof v === 'number') acc.sum += v;
        if (acc.min === undefined || compareValues(v, acc.min) < 0) acc.min = v;
        if (acc.max === undefined || compareValues(v, acc.max) > 0) acc.max = v;
      });
    }
    const rows = [...groups.values()];
    if (keys.length === 0 && rows.length === 0)
      rows.push({ key: [], accs: specs.map(() => ({ count: 0, sum: 0, min: null, max: null })) });
    rows.sort((a, b) => {
      for (let k = 0; k < keys.length; k++) {
        const d = compareValues(a.key[k], b.key[k]);
        if (d !== 0) return d;
      }
      return 0;
    });
    const columns: Record<string, ColumnInput> = {};
    keys.forEach((k, j) => {
      columns[k] = rows.map((r) => r.key[j]);
    });
    specs.forEach((spec, s) => {
      columns[aggregateName(spec)] = rows.map((r) => {
        const acc = r.accs[s];
        switch (spec.fn) {
          case 'count':
            return acc.count;
          case 'sum':
            return acc.sum;
          case 'mean':
            return acc.count === 0 ? null : acc.sum / acc.count;
          case 'min':
            return acc.min ?? null;
          default:
            return acc.max ?? null;
        }
      });
    });
    return [blockFromColumns(columns)];
  };
}

/** Convenience for whole-dataset aggregates: one row of results. */
export function singleRow(block: Block): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(block.columns)) out[name] = block.numRows > 0 ? cellAt(c, 0) : null;
  return out;
}
