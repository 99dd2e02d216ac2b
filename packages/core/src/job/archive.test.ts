import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from 'tar';
import { afterAll, describe, expect, it } from 'vitest';
import { listPackageFiles, PackageTooLargeError, packWorkingDir, sha256, unpackPackage } from './archive.ts';

const root = mkdtempSync(join(tmpdir(), 'manta-archive-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function project(): string {
  const dir = mkdtempSync(join(root, 'project-'));
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'main.ts'), 'console.log(1)\n');
  writeFileSync(join(dir, 'src', 'tasks.ts'), 'export {}\n');
  writeFileSync(join(dir, 'data.csv'), 'a,b\n');
  writeFileSync(join(dir, 'notes.log'), 'x\n');
  writeFileSync(join(dir, '.gitignore'), '*.log\n');
  mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
  writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), '');
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'HEAD'), '');
  return dir;
}

describe('job archive - packaging a working dir', () => {
  it('leaves out node_modules, .git, .gitignore matches and --exclude patterns', () => {
    const dir = project();
    expect(listPackageFiles(dir).map((f) => f.path)).toEqual([
      '.gitignore',
      'data.csv',
      'main.ts',
      'src/tasks.ts',
    ]);
    expect(listPackageFiles(dir, ['*.csv', 'src/']).map((f) => f.path)).toEqual(['.gitignore', 'main.ts']);
  });

  it('gives the same bytes for the same files, whatever their mtimes, and unpacks them', async () => {
    const dir = project();
    const first = await packWorkingDir(dir);
    utimesSync(join(dir, 'main.ts'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const second = await packWorkingDir(dir);
    expect(second.hash).toBe(first.hash);
    expect(first.hash).toBe(sha256(first.data));
    expect(first.files).toBe(4);
    writeFileSync(join(dir, 'main.ts'), 'console.log(2)\n');
    expect((await packWorkingDir(dir)).hash).not.toBe(first.hash);
    const out = join(root, 'unpacked');
    await unpackPackage(first.data, out);
    expect(readFileSync(join(out, 'src', 'tasks.ts'), 'utf8')).toBe('export {}\n');
    expect(readFileSync(join(out, 'main.ts'), 'utf8')).toBe('console.log(1)\n');
    expect(existsSync(join(out, 'node_modules'))).toBe(false);
  });

  it('refuses a working dir over the size limit, naming the largest files', async () => {
    const dir = project();
    writeFileSync(join(dir, 'weights.bin'), Buffer.alloc(300_000));
    const error = await packWorkingDir(dir, { maxBytes: 100_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PackageTooLargeError);
    expect((error as Error).message).toMatch(
      /over the 97\.7 KiB limit\. Largest: weights\.bin \(293\.0 KiB\)/,
    );
    expect((error as Error).message).toContain('--exclude');
    await expect(packWorkingDir(join(dir, 'missing'))).rejects.toThrow(/is not a folder/);
  });

  it('unpacks only plain files and folders, and refuses paths out of the destination', async () => {
    const src = mkdtempSync(join(root, 'hostile-'));
    mkdirSync(join(src, 'inner'));
    writeFileSync(join(src, 'escape.txt'), 'outside');
    writeFileSync(join(src, 'inner', 'ok.txt'), 'fine');
    symlinkSync('/etc/passwd', join(src, 'inner', 'link'));
    const tarOf = async (files: string[]) => {
      const chunks: Buffer[] = [];
      // preservePaths keeps the '../' a hostile archive would carry.
      const pack = create({ gzip: true, cwd: join(src, 'inner'), preservePaths: true }, files);
      for await (const chunk of pack) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    };
    const dest = join(root, 'dest', 'a');
    await unpackPackage(await tarOf(['ok.txt', 'link']), dest);
    expect(readFileSync(join(dest, 'ok.txt'), 'utf8')).toBe('fine');
    expect(existsSync(join(dest, 'link'))).toBe(false);
    await expect(unpackPackage(await tarOf(['../escape.txt']), join(root, 'dest', 'b'))).rejects.toThrow(
      /path contains '\.\.'/,
    );
    expect(existsSync(join(root, 'dest', 'escape.txt'))).toBe(false);
  });
});
