import { get, init, put, shutdown } from '@manta/core';
import { currentRuntime } from '@manta/core/internal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echo, scale, sumArray } from '../fixtures/core-fixtures.ts';
import { waitFor } from '../harness/processes.ts';

beforeAll(async () => {
  await init({ numCpus: 2, logToDriver: false });
});
afterAll(async () => {
  await shutdown();
});

function submitWithoutKeepingRef(): { id: string; total: Promise<number> } {
  const ref = put(new Float32Array(1000).fill(2));
  return { id: ref.id, total: get(sumArray.remote(ref as unknown as Float32Array)) };
}

async function collectGarbage(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  for (let i = 0; i < 5; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20)); // let FinalizationRegistry callbacks run
  }
}

describe('objects - put, get and references', () => {
  it('round-trips a 64 MB Float32Array through another process intact, as a Float32Array', async () => {
    const n = 16 * 1024 * 1024;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = (i % 1000) * 0.5 - 7;
    const ref = put(values);
    const doubled = await get(scale.remote(ref as unknown as Float32Array, 2));
    expect(doubled).toBeInstanceOf(Float32Array);
    expect(doubled.length).toBe(n);
    for (let i = 0; i < n; i += 9973) expect(doubled[i]).toBe(values[i] * 2);
    expect(doubled[n - 1]).toBe(values[n - 1] * 2);
    // Passed by value (auto-stored, then fetched by the worker), and returned whole.
    const back = (await get(echo.remote(values))) as Float32Array;
    expect(back).toBeInstanceOf(Float32Array);
    expect(
      Buffer.compare(Buffer.from(back.buffer, back.byteOffset, back.byteLength), Buffer.from(values.buffer)),
    ).toBe(0);
  }, 120_000);

  it('keeps every typed array type on the wire', async () => {
    const sample = {
      f32: new Float32Array([1.5, -2]),
      f64: new Float64Array([Math.PI]),
      i32: new Int32Array([-7, 2 ** 30]),
      u8: new Uint8Array([0, 255]),
      i16: new Int16Array([-300]),
    };
    const back = (await get(echo.remote(sample))) as Record<string, unknown>;
    for (const [key, value] of Object.entries(sample)) {
      expect((back as Record<string, unknown>)[key]).toBeInstanceOf(value.constructor);
      expect(Array.from((back as Record<string, ArrayLike<number>>)[key])).toEqual(Array.from(value));
    }
  });

  it('frees objects when no reference remains: 1,000 put/get cycles of 1 MB do not grow memory', async () => {
    const runtime = currentRuntime()!;
    await collectGarbage();
    const before = runtime.table.bytes;
    const heapBefore = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 1000; i++) {
      const ref = put(new Float32Array(256 * 1024).fill(i));
      const value = await get(ref);
      if (value[0] !== i) throw new Error(`cycle ${i} read ${value[0]}`);
    }
    await collectGarbage();
    expect(runtime.table.bytes - before).toBeLessThan(16 * 1024 * 1024);
    expect(process.memoryUsage().arrayBuffers - heapBefore).toBeLessThan(64 * 1024 * 1024);
  }, 60_000);

  it('keeps an object alive while a task that takes it is running, even with no ref left in the driver', async () => {
    const runtime = currentRuntime()!;
    // Made in a plain function: an async function's suspended frame would keep `ref` alive.
    const { id, total } = submitWithoutKeepingRef();
    expect(await total).toBe(2000);
    // Freed once the task ended and the GC collected the last ref (finalizers run when they run).
    await waitFor(
      async () => {
        await collectGarbage();
        return !runtime.table.has(id);
      },
      10_000,
      'the object to be freed',
    );
  });
});
