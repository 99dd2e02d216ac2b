import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { localModuleUrl, packageOf, registerPackageRoot, setPackageProvider } from './module-map.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'manta-module-map-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const hashA = 'a'.repeat(64);
const hashB = 'b'.repeat(64);

describe('job module map - a job module on another machine', () => {
  it('tags modules under a package root with the package and the root', () => {
    mkdirSync(join(root, 'job'));
    const url = registerPackageRoot(join(root, 'job'), hashA);
    expect(url).toBe(`${pathToFileURL(join(root, 'job')).href}/`);
    expect(packageOf(`${url}src/tasks.ts`)).toEqual({ hash: hashA, root: url });
    expect(packageOf(pathToFileURL(join(root, 'other.ts')).href)).toBeUndefined();
  });

  it("maps a module onto this process's copy of its package, fetched once", async () => {
    mkdirSync(join(root, 'copy'));
    const fetched: string[] = [];
    setPackageProvider(async (hash) => {
      fetched.push(hash);
      return join(root, 'copy');
    });
    const pkg = { hash: hashB, root: 'file:///home/someone/project/' };
    const local = `${pathToFileURL(join(root, 'copy')).href}/`;
    expect(await localModuleUrl('file:///home/someone/project/src/tasks.ts', pkg)).toBe(
      `${local}src/tasks.ts`,
    );
    expect(await localModuleUrl('file:///home/someone/project/main.ts', pkg)).toBe(`${local}main.ts`);
    expect(fetched).toEqual([hashB]);
    // Nested definitions made here carry this process's root.
    expect(packageOf(`${local}main.ts`)).toEqual({ hash: hashB, root: local });
  });

  it('refuses a module outside its package root', async () => {
    const pkg = { hash: hashB, root: 'file:///home/someone/project/' };
    await expect(localModuleUrl('file:///etc/passwd', pkg)).rejects.toThrow(
      /does not lie in its package root/,
    );
    await expect(localModuleUrl('file:///home/someone/project/../../../etc/passwd', pkg)).rejects.toThrow(
      /outside its package/,
    );
    await expect(localModuleUrl('file:///x/y.ts', { hash: 'nope', root: 'file:///x/' })).rejects.toThrow();
  });
});
