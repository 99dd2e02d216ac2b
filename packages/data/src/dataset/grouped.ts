import type { AggregateSpec } from '../ops/index.ts';
import { aggregateFn } from '../ops/index.ts';
import type { PlanNode } from '../plan/index.ts';
import type { Dataset } from './dataset.ts';

/** `ds.groupBy(key)`: aggregate per group; output has the key columns then one column per aggregate, sorted by key. */
export class GroupedData {
  constructor(
    private readonly plan: PlanNode,
    private readonly derive: (plan: PlanNode) => Dataset,
    readonly keys: readonly string[],
  ) {}

  aggregate(...specs: AggregateSpec[]): Dataset {
    return this.derive({
      kind: 'allToAll',
      name: `groupBy(${this.keys}).aggregate`,
      input: this.plan,
      fn: aggregateFn(this.keys, specs),
    });
  }

  count(): Dataset {
    return this.aggregate({ fn: 'count' });
  }
  sum(column: string): Dataset {
    return this.aggregate({ fn: 'sum', column });
  }
  mean(column: string): Dataset {
    return this.aggregate({ fn: 'mean', column });
  }
  min(column: string): Dataset {
    return this.aggregate({ fn: 'min', column });
  }
  max(column: string): Dataset {
    return this.aggregate({ fn: 'max', column });
  }
}

/** Aggregation specs: `agg.count()`, `agg.sum('x')`, `agg.mean('x', 'avg_x')`... */
export const agg = {
  count: (name?: string): AggregateSpec => ({ fn: 'count', name }),
  sum: (column: string, name?: string): AggregateSpec => ({ fn: 'sum', column, name }),
  mean: (column: string, name?: string): AggregateSpec => ({ fn: 'mean', column, name }),
  min: (column: string, name?: string): AggregateSpec => ({ fn: 'min', column, name }),
  max: (column: string, name?: string): AggregateSpec => ({ fn: 'max', column, name }),
} as const;
