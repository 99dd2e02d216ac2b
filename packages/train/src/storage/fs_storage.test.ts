import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FsStorageImpl } from './fs_storage.ts';
import { storageFor } from './registry.ts';

describe('fs storage', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'manta-fs-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('fs storage - file:// URIs and plain paths name the same files', async () => {
    await storageFor(pathToFileURL(root).href).writeFile('a/b.txt', 'via uri');
    const plain = storageFor(root) as FsStorageImpl;
    expect(await plain.readText('a/b.txt')).toBe('via uri');
    expect(plain.localPath('a/b.txt')).toBe(join(root, 'a', 'b.txt'));
    expect(plain.uriOf('a/b.txt')).toBe(pathToFileURL(join(root, 'a', 'b.txt')).href);
  });

  it('fs storage - writeTextAtomic leaves no temp files behind', async () => {
    const storage = storageFor(root);
    for (let i = 0; i < 5; i++)
      await storage.writeTextAtomic('exp/experiment_state.json', JSON.stringify({ i }));
    expect(await readdir(join(root, 'exp'))).toEqual(['experiment_state.json']);
    expect(JSON.parse(await storage.readText('exp/experiment_state.json'))).toEqual({ i: 4 });
  });

  it('fs storage - deleting the root empties it but keeps the folder', async () => {
    const storage = storageFor(root);
    await storage.writeFile('x/y', 'z');
    await storage.deletePrefix('');
    expect(await readdir(root)).toEqual([]);
    expect(await storage.exists('')).toBe(false);
  });

  it('fs storage - uploading a folder onto itself is refused', async () => {
    const storage = storageFor(root);
    await storage.writeFile('d/f', 'x');
    await expect(storage.uploadDirectory(join(root, 'd'), 'd')).rejects.toMatchObject({
      code: 'STORAGE_ERROR',
    });
  });
});
