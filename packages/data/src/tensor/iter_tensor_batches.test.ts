import { describe, expect, it } from 'vitest';
import { fromArrays } from '../dataset/index.ts';
import type { TfLike } from './index.ts';
import { iterTensorBatches } from './index.ts';

interface FakeTensor {
  values: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype: string | undefined;
}

const fakeTf: TfLike<FakeTensor> = { tensor: (values, shape, dtype) => ({ values, shape, dtype }) };

describe('tensor - iterTensorBatches', () => {
  it('hands numeric columns to tf.tensor with batch shapes and tf dtypes', async () => {
    const n = 5;
    const ds = fromArrays({
      image: { data: new Uint8Array(n * 2 * 2 * 3).fill(255), shape: [n, 2, 2, 3] },
      label: Int32Array.from({ length: n }, (_, i) => i),
      name: Array.from({ length: n }, (_, i) => `r${i}`),
    });
    const batches: Record<string, FakeTensor>[] = [];
    for await (const b of iterTensorBatches(ds, fakeTf, { batchSize: 2, dropLast: true })) batches.push(b);
    expect(batches).toHaveLength(2);
    expect(Object.keys(batches[0])).toEqual(['image', 'label']);
    expect(batches[0].image.shape).toEqual([2, 2, 2, 3]);
    expect(batches[0].image.dtype).toBe('float32');
    expect(batches[0].image.values).toBeInstanceOf(Float32Array);
    expect(batches[1].label).toMatchObject({ shape: [2], dtype: 'int32' });
    expect(Array.from(batches[1].label.values)).toEqual([2, 3]);
  });
});
