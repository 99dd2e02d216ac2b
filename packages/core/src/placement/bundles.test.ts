import { describe, expect, it } from 'vitest';
import { type NodeCapacity, placeBundles } from './bundles.ts';

const nodes: NodeCapacity[] = [
  { nodeId: 'a', free: { CPU: 4 } },
  { nodeId: 'b', free: { CPU: 4 } },
  { nodeId: 'c', free: { CPU: 2, GPU: 1 } },
];
const two = [{ CPU: 1 }, { CPU: 1 }];

describe('placement - bundle assignment', () => {
  it('PACK and STRICT_PACK put every bundle on one node when it fits', () => {
    expect(new Set(placeBundles(nodes, two, 'PACK')).size).toBe(1);
    expect(new Set(placeBundles(nodes, two, 'STRICT_PACK')).size).toBe(1);
  });

  it('PACK spills over to more nodes; STRICT_PACK refuses', () => {
    const big = [{ CPU: 3 }, { CPU: 3 }];
    expect(new Set(placeBundles(nodes, big, 'PACK')).size).toBe(2);
    expect(placeBundles(nodes, big, 'STRICT_PACK')).toBeUndefined();
  });

  it('SPREAD and STRICT_SPREAD use distinct nodes', () => {
    expect(new Set(placeBundles(nodes, [{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }], 'SPREAD')).size).toBe(3);
    expect(new Set(placeBundles(nodes, [{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }], 'STRICT_SPREAD')).size).toBe(3);
  });

  it('SPREAD reuses nodes when it must; STRICT_SPREAD refuses more bundles than nodes', () => {
    const four = [{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }, { CPU: 1 }];
    expect(placeBundles(nodes, four, 'SPREAD')).toHaveLength(4);
    expect(placeBundles(nodes, four, 'STRICT_SPREAD')).toBeUndefined();
  });

  it('honours custom resources and reserves all or nothing', () => {
    expect(placeBundles(nodes, [{ GPU: 1 }, { CPU: 1 }], 'PACK')).toEqual(['c', 'c']);
    expect(placeBundles(nodes, [{ GPU: 1 }, { GPU: 1 }], 'SPREAD')).toBeUndefined();
  });
});
