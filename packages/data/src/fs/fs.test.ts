import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@manta/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DataReadError } from '../errors/index.ts';
import { expandPaths, fileSystemFor, globToRegExp } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'manta-fs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fs - globs', () => {
  it('matches *, ** and {a,b} over path segments', () => {
    expect(globToRegExp('data/*.csv').test('data/a.csv')).toBe(true);
    expect(globToRegExp('data/*.csv').test('data/sub/a.csv')).toBe(false);
    expect(globToRegExp('data/**/*.csv').test('data/sub/deep/a.csv')).toBe(true);
    expect(globToRegExp('data/**/*.csv').test('data/a.csv')).toBe(true);
    expect(globToRegExp('d/*.{csv,tsv}').test('d/x.tsv')).toBe(true);
    expect(globToRegExp('d/part-?.bin').test('d/part-10.bin')).toBe(false);
  });

  it('expands files, folders and globs to a sorted file list, skipping hidden files', async () => {
    mkdirSync(join(dir, 'sub'));
    for (const name of ['b.csv', 'a.csv', '.hidden.csv', 'notes.txt', 'sub/c.csv'])
      writeFileSync(join(dir, name), 'x\n1\n');
    const folder = await expandPaths(dir, { extensions: ['.csv'] });
    expect(folder.map((f) => f.path)).toEqual([
      join(dir, 'a.csv'),
      join(dir, 'b.csv'),
      join(dir, 'sub/c.csv'),
    ]);
    const glob = await expandPaths(join(dir, '*.csv'));
    expect(glob.map((f) => f.path)).toEqual([join(dir, 'a.csv'), join(dir, 'b.csv')]);
    expect(glob[0].size).toBe(4);
    const single = await expandPaths([join(dir, 'notes.txt'), join(dir, 'a.csv')]);
    expect(single).toHaveLength(2);
  });

  it('names the path when nothing matches', async () => {
    await expect(expandPaths(join(dir, 'missing.csv'))).rejects.toThrow(DataReadError);
    await expect(expandPaths(join(dir, '*.parquet'))).rejects.toThrow(/no files matched/);
  });

  it('rejects unknown URL schemes, listing the known ones', () => {
    expect(() => fileSystemFor('gs://bucket/key')).toThrow(ConfigError);
    expect(() => fileSystemFor('gs://bucket/key')).toThrow(/known schemes: file, s3/);
    expect(fileSystemFor('s3://bucket/key').scheme).toBe('s3');
  });
});
