import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { afterAll, describe, expect, it } from 'vitest';
import { readBinaryRecords, readCifar10, readCsv, readJsonl, readParquet } from '../dataset/index.ts';
import { DataReadError } from '../errors/index.ts';
import { CsvParser } from './csv_parser.ts';

const dir = mkdtempSync(join(tmpdir(), 'manta-readers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CIFAR-10 format file: record r has label r % 10 and pixel (c, p) = (r + c + p) % 256. */
function writeCifar(path: string, records: number): void {
  const bytes = new Uint8Array(records * 3073);
  for (let r = 0; r < records; r++) {
    bytes[r * 3073] = r % 10;
    for (let c = 0; c < 3; c++)
      for (let p = 0; p < 1024; p++) bytes[r * 3073 + 1 + c * 1024 + p] = (r + c + p) % 256;
  }
  writeFileSync(path, bytes);
}

describe('readers - csv', () => {
  it('parses quoted fields, embedded newlines and CRLF across chunk boundaries', () => {
    const text = 'a,b\r\n1,"x, ""y"""\r\n2,"multi\nline"\n';
    const whole = new CsvParser().push(text);
    const parser = new CsvParser();
    const pieces = [...text].flatMap((c) => parser.push(c));
    for (const records of [whole, pieces]) {
      expect(records.map((r) => r.fields)).toEqual([
        ['a', 'b'],
        ['1', 'x, "y"'],
        ['2', 'multi\nline'],
      ]);
      expect(records.map((r) => r.line)).toEqual([1, 2, 3]);
    }
  });

  it('reads numeric and string columns lazily in blocks', async () => {
    const path = join(dir, 'people.csv');
    writeFileSync(
      path,
      `name,age,score\n${Array.from({ length: 10 }, (_, i) => `p${i},${20 + i},${i / 2}`).join('\n')}\n`,
    );
    const ds = readCsv(path, { blockRows: 4 });
    const blocks = await ds.blocks();
    expect(blocks.map((b) => b.numRows)).toEqual([4, 4, 2]);
    expect(blocks[0].columns.age.dtype).toBe('float64');
    expect(blocks[0].columns.name.dtype).toBe('string');
    expect(await ds.take(2)).toEqual([
      { name: 'p0', age: 20, score: 0 },
      { name: 'p1', age: 21, score: 0.5 },
    ]);
  });

  it('names the file and row of a ragged row', async () => {
    const path = join(dir, 'ragged.csv');
    writeFileSync(path, 'a,b,c\n1,2,3\n4,5\n6,7,8\n');
    const error = await readCsv(path)
      .takeAll()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataReadError);
    expect((error as DataReadError).path).toBe(path);
    expect((error as DataReadError).row).toBe(2);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/line 3 has 2 fields, expected 3/);
  });
});

describe('readers - jsonl', () => {
  it('reads objects, skipping blank lines', async () => {
    const path = join(dir, 'rows.jsonl');
    writeFileSync(path, '{"x":1,"tag":"a"}\n\n{"x":2,"tag":"b"}\n{"x":3,"tag":"c"}');
    expect(await readJsonl(path).takeAll()).toEqual([
      { x: 1, tag: 'a' },
      { x: 2, tag: 'b' },
      { x: 3, tag: 'c' },
    ]);
  });

  it('names the file and line of invalid JSON', async () => {
    const path = join(dir, 'bad.jsonl');
    writeFileSync(path, '{"x":1}\n{"x":\n');
    const error = (await readJsonl(path)
      .count()
      .catch((e: unknown) => e)) as DataReadError;
    expect(error).toBeInstanceOf(DataReadError);
    expect(error.message).toMatch(/bad\.jsonl \(row 2\): line 2: invalid JSON/);
  });
});

describe('readers - parquet', () => {
  it('reads a file written by hyparquet-writer, one task per row group', async () => {
    const path = join(dir, 'table.parquet');
    const n = 25;
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: 'id', data: Int32Array.from({ length: n }, (_, i) => i), type: 'INT32' },
        { name: 'value', data: Float64Array.from({ length: n }, (_, i) => i * 0.5), type: 'DOUBLE' },
        { name: 'label', data: Array.from({ length: n }, (_, i) => `l${i % 3}`), type: 'STRING' },
      ],
      rowGroupSize: 10,
    });
    const ds = readParquet(path, { blockRows: 8 });
    const blocks = await ds.blocks();
    expect(blocks.map((b) => b.numRows)).toEqual([8, 2, 8, 2, 5]);
    expect(blocks[0].columns.id.dtype).toBe('int32');
    const rows = await ds.takeAll();
    expect(rows).toHaveLength(n);
    expect(rows[13]).toEqual({ id: 13, value: 6.5, label: 'l1' });
    expect(await readParquet(path, { columns: ['label'] }).take(1)).toEqual([{ label: 'l0' }]);
  });

  it('names the file of a truncated Parquet file', async () => {
    const path = join(dir, 'truncated.parquet');
    parquetWriteFile({
      filename: path,
      columnData: [{ name: 'x', data: new Float64Array(100), type: 'DOUBLE' }],
    });
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 20));
    const error = (await readParquet(path)
      .count()
      .catch((e: unknown) => e)) as DataReadError;
    expect(error).toBeInstanceOf(DataReadError);
    expect(error.path).toBe(path);
    expect(error.message).toMatch(/truncated\.parquet.*invalid Parquet file/);
  });
});

describe('readers - binary records and CIFAR-10', () => {
  it('decodes CIFAR-10 records into labels and HWC images, across files and blocks', async () => {
    writeCifar(join(dir, 'data_batch_1.bin'), 7);
    writeCifar(join(dir, 'data_batch_2.bin'), 5);
    const ds = readCifar10(join(dir, 'data_batch_*.bin'), { blockRows: 3 });
    const blocks = await ds.blocks();
    expect(blocks.map((b) => b.numRows)).toEqual([3, 3, 1, 3, 2]);
    expect(blocks[0].columns.image).toMatchObject({ dtype: 'uint8', shape: [32, 32, 3] });
    const rows = await ds.takeAll();
    expect(rows.map((r) => r.label)).toEqual([0, 1, 2, 3, 4, 5, 6, 0, 1, 2, 3, 4]);
    const image = rows[8].image as Uint8Array; // file 2, record 1
    // HWC: pixel p, channel c at p * 3 + c holds (r + c + p) % 256.
    expect([image[0], image[1], image[2]]).toEqual([1, 2, 3]);
    expect(image[(5 * 32 + 7) * 3 + 2]).toBe((1 + 2 + 5 * 32 + 7) % 256);
    const floats = await readCifar10(join(dir, 'data_batch_2.bin'), { imageFormat: 'float32' }).take(1);
    expect((floats[0].image as Float32Array)[2]).toBeCloseTo(2 / 255);
  });

  it('reads raw fixed-size records with a header', async () => {
    const path = join(dir, 'records.dat');
    writeFileSync(path, Uint8Array.from([9, 9, 1, 2, 3, 4, 5, 6]));
    const rows = await readBinaryRecords(path, { recordBytes: 3, headerBytes: 2 }).takeAll();
    expect(rows.map((r) => Array.from(r.bytes as Uint8Array))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('names the file and record of a truncated binary file', async () => {
    const path = join(dir, 'cut.bin');
    writeCifar(path, 3);
    truncateSync(path, 3073 * 2 + 100);
    const error = (await readCifar10(path)
      .count()
      .catch((e: unknown) => e)) as DataReadError;
    expect(error).toBeInstanceOf(DataReadError);
    expect(error.row).toBe(3);
    expect(error.message).toMatch(/cut\.bin \(row 3\).*3073-byte records/);
  });
});
