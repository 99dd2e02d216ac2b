import { describe, expect, it } from 'vitest';
import { giveBuffer, takeBuffer } from './buffer-pool.ts';

describe('collective buffer pool', () => {
  it('buffer pool - recycles buffers of the same size and only whole, offset-0 buffers', () => {
    const a = takeBuffer(4096 + 24);
    expect(a.byteOffset).toBe(0);
    expect(a.byteLength).toBe(4120);
    giveBuffer(a);
    expect(takeBuffer(4120)).toBe(a);
    expect(takeBuffer(4120)).not.toBe(a); // taken once, gone from the pool
    const view = new Uint8Array(new ArrayBuffer(64), 8, 32);
    giveBuffer(view);
    expect(takeBuffer(32)).not.toBe(view);
  });
});
