import { describe, expect, it } from 'vitest';
import { DataSchemaError } from '../errors/index.ts';
import {
  blockBytes,
  blockFromColumns,
  blockFromRows,
  blockSchema,
  concatBlocks,
  rowAt,
  sliceBlock,
  takeRows,
} from './index.ts';

describe('block - construction', () => {
  it('keeps typed arrays as they are and reads tensor columns as row views', () => {
    const image = new Uint8Array(3 * 4).map((_, i) => i);
    const label = new Int32Array([7, 8, 9]);
    const block = blockFromColumns({ image: { data: image, shape: [3, 2, 2] }, label });
    expect(block.numRows).toBe(3);
    expect(block.columns.label.data).toBe(label);
    const row = rowAt(block, 1);
    expect(row.label).toBe(8);
    expect(Array.from(row.image as Uint8Array)).toEqual([4, 5, 6, 7]);
    expect((row.image as Uint8Array).buffer).toBe(image.buffer);
    expect(blockSchema(block).fields).toEqual([
      { name: 'image', dtype: 'uint8', shape: [2, 2] },
      { name: 'label', dtype: 'int32', shape: [] },
    ]);
    expect(blockBytes(block)).toBe(12 + 12);
  });

  it('infers column types from rows', () => {
    const block = blockFromRows([
      { x: 1, s: 'a', b: true, v: new Float32Array([1, 2]), o: null },
      { x: 2.5, s: 'b', b: false, v: new Float32Array([3, 4]), o: { k: 1 } },
    ]);
    const dtypes = Object.fromEntries(
      blockSchema(block).fields.map((f) => [f.name, `${f.dtype}[${f.shape}]`]),
    );
    expect(dtypes).toEqual({ x: 'float64[]', s: 'string[]', b: 'bool[]', v: 'float32[2]', o: 'object[]' });
  });

  it('rejects columns of different lengths, naming the column', () => {
    expect(() => blockFromColumns({ a: new Float32Array(3), b: [1, 2] })).toThrow(DataSchemaError);
    expect(() => blockFromColumns({ a: new Float32Array(3), b: [1, 2] })).toThrow(
      /"b" has 2 rows, expected 3/,
    );
  });
});

describe('block - slicing and joining', () => {
  it('slices numeric columns without copying', () => {
    const x = new Float32Array([0, 1, 2, 3, 4]);
    const part = sliceBlock(blockFromColumns({ x }), 1, 4);
    expect(part.numRows).toBe(3);
    expect((part.columns.x.data as Float32Array).buffer).toBe(x.buffer);
    expect(Array.from(part.columns.x.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('concatenates blocks, widening int32 + float32 to float64', () => {
    const a = blockFromColumns({ x: new Int32Array([1, 2]), s: ['a', 'b'] });
    const b = blockFromColumns({ x: new Float32Array([2.5]), s: ['c'] });
    const joined = concatBlocks([a, b]);
    expect(joined.columns.x.dtype).toBe('float64');
    expect(Array.from(joined.columns.x.data as Float64Array)).toEqual([1, 2, 2.5]);
    expect(joined.columns.s.data).toEqual(['a', 'b', 'c']);
  });

  it('refuses to concatenate blocks with different columns', () => {
    expect(() => concatBlocks([blockFromColumns({ x: [1] }), blockFromColumns({ y: [1] })])).toThrow(
      /different columns/,
    );
  });

  it('gathers rows of tensor columns', () => {
    const block = blockFromColumns({ t: { data: new Float32Array([0, 1, 10, 11, 20, 21]), shape: [3, 2] } });
    const picked = takeRows(block, [2, 0]);
    expect(Array.from(picked.columns.t.data as Float32Array)).toEqual([20, 21, 0, 1]);
  });
});
