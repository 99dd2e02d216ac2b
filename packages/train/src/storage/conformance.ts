/**
 * The one conformance suite every Storage backend must pass (see storage.test.ts). Gaps between
 * backends are capability flags on the storage, never name filters here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Storage } from './types.ts';

export interface ConformanceSetup {
  storage: Storage;
  cleanup(): Promise<void>;
  /**
   * Whether the server behind the storage shows a replaced file all at once to concurrent
   * readers. True for local files and for AWS S3 / MinIO; false for s3rver, which writes objects
   * in place, so there the suite checks only the final content of atomic writes.
   */
  atomicReplace: boolean;
}

export function describeStorageConformance(name: string, open: () => Promise<ConformanceSetup>): void {
  describe(`storage conformance (${name})`, () => {
    let setup: ConformanceSetup;
    let scratch: string;
    let counter = 0;
    /** A fresh folder under the storage root for one test. */
    const area = () => `t${++counter}-${randomBytes(3).toString('hex')}`;
    const s = () => setup.storage;

    beforeAll(async () => {
      setup = await open();
      scratch = await mkdtemp(join(tmpdir(), 'manta-conf-'));
    });
    afterAll(async () => {
      await setup?.cleanup();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    it(`storage ${name} - writes and reads bytes and text, replacing on overwrite`, async () => {
      const dir = area();
      const bytes = randomBytes(70_000);
      await s().writeFile(`${dir}/deep/data.bin`, bytes);
      expect(Buffer.from(await s().readFile(`${dir}/deep/data.bin`)).equals(bytes)).toBe(true);
      await s().writeFile(`${dir}/note.txt`, 'héllo wörld ✓');
      expect(await s().readText(`${dir}/note.txt`)).toBe('héllo wörld ✓');
      await s().writeFile(`${dir}/note.txt`, 'second');
      expect(await s().readText(`${dir}/note.txt`)).toBe('second');
      await s().writeFile(`${dir}/empty`, new Uint8Array(0));
      expect((await s().readFile(`${dir}/empty`)).byteLength).toBe(0);
    });

    it(`storage ${name} - reading a missing file throws STORAGE_NOT_FOUND naming its uri`, async () => {
      const dir = area();
      const error = await s()
        .readText(`${dir}/missing.txt`)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'STORAGE_NOT_FOUND', uri: s().uriOf(`${dir}/missing.txt`) });
    });

    it(`storage ${name} - exists sees files and non-empty folders, not name prefixes`, async () => {
      const dir = area();
      await s().writeFile(`${dir}/a/bc/x.txt`, 'x');
      expect(await s().exists(`${dir}/a/bc/x.txt`)).toBe(true);
      expect(await s().exists(`${dir}/a/bc`)).toBe(true);
      expect(await s().exists(`${dir}/a`)).toBe(true);
      expect(await s().exists(`${dir}/a/b`)).toBe(false);
      expect(await s().exists(`${dir}/a/bc/x`)).toBe(false);
      expect(await s().exists(`${dir}/nothing`)).toBe(false);
    });

    it(`storage ${name} - list is recursive, sorted, relative to the root and folder-scoped`, async () => {
      const dir = area();
      for (const f of ['b/2.txt', 'a/1.txt', 'a/deep/3.txt', 'ab/4.txt', 'top.txt'])
        await s().writeFile(`${dir}/${f}`, f);
      expect(await s().list(`${dir}/a`)).toEqual([`${dir}/a/1.txt`, `${dir}/a/deep/3.txt`]);
      expect(await s().list(dir)).toEqual(
        ['a/1.txt', 'a/deep/3.txt', 'ab/4.txt', 'b/2.txt', 'top.txt'].map((f) => `${dir}/${f}`),
      );
      expect(await s().list(`${dir}/top.txt`)).toEqual([]);
      expect(await s().list(`${dir}/none`)).toEqual([]);
      expect((await s().list('')).filter((p) => p.startsWith(`${dir}/`))).toHaveLength(5);
      const sizes = await s().stat(`${dir}/a`);
      expect(sizes.get(`${dir}/a/deep/3.txt`)).toBe('a/deep/3.txt'.length);
    });

    it(`storage ${name} - deletePrefix removes a folder and a file, never a name-prefix sibling`, async () => {
      const dir = area();
      for (const f of ['run/c1/x', 'run/c1/sub/y', 'run/c10/z', 'run/file'])
        await s().writeFile(`${dir}/${f}`, f);
      await s().deletePrefix(`${dir}/run/c1`);
      expect(await s().list(dir)).toEqual([`${dir}/run/c10/z`, `${dir}/run/file`]);
      await s().deletePrefix(`${dir}/run/file`);
      expect(await s().list(dir)).toEqual([`${dir}/run/c10/z`]);
      await s().deletePrefix(`${dir}/absent`);
      await s().deletePrefix(dir);
      expect(await s().exists(dir)).toBe(false);
    });

    it(`storage ${name} - writeTextAtomic replaces whole content and readers never see a torn file`, async () => {
      const dir = area();
      const versions = ['A', 'B', 'C', 'D'].map((c) => c.repeat(64 * 1024));
      await s().writeTextAtomic(`${dir}/state.json`, versions[0]);
      let stop = false;
      const seen = new Set<string>();
      const reader = (async () => {
        while (!stop) {
          const text = await s()
            .readText(`${dir}/state.json`)
            .catch(() => '');
          seen.add(text.length === versions[0].length && new Set(text).size === 1 ? 'whole' : 'torn');
        }
      })();
      for (let i = 1; i < 8; i++)
        await s().writeTextAtomic(`${dir}/state.json`, versions[i % versions.length]);
      stop = true;
      await reader;
      if (setup.atomicReplace) expect([...seen]).toEqual(['whole']);
      expect(await s().readText(`${dir}/state.json`)).toBe(versions[7 % versions.length]);
      expect(await s().list(dir)).toEqual([`${dir}/state.json`]);
    });

    it(`storage ${name} - uploadDirectory and downloadDirectory round-trip a tree`, async () => {
      const dir = area();
      const local = join(scratch, dir);
      const files: Record<string, Buffer> = {
        'model.json': Buffer.from('{"a":1}'),
        'weights/part 1.bin': randomBytes(300_000),
        'weights/deep/part2.bin': randomBytes(1000),
        'skip.tmp': Buffer.from('no'),
      };
      for (const [path, data] of Object.entries(files)) {
        await mkdir(join(local, path, '..'), { recursive: true });
        await writeFile(join(local, path), data);
      }
      const up = await s().uploadDirectory(local, `${dir}/ckpt`, {
        exclude: (p) => p.endsWith('.tmp'),
        last: ['model.json'],
      });
      expect(up.files.map((f) => f.path).sort()).toEqual([
        'model.json',
        'weights/deep/part2.bin',
        'weights/part 1.bin',
      ]);
      expect(up.files.find((f) => f.path === 'weights/part 1.bin')?.size).toBe(300_000);
      expect(up.bytes).toBe(7 + 300_000 + 1000);
      expect(await s().list(`${dir}/ckpt`)).toEqual(
        ['model.json', 'weights/deep/part2.bin', 'weights/part 1.bin'].map((f) => `${dir}/ckpt/${f}`),
      );
      const back = join(scratch, `${dir}-back`);
      const down = await s().downloadDirectory(`${dir}/ckpt`, back);
      expect(down.bytes).toBe(up.bytes);
      for (const { path } of up.files) {
        expect(digest(await readFile(join(back, path)))).toBe(digest(files[path]));
      }
      expect((await readdir(back)).sort()).toEqual(['model.json', 'weights']);
      const none = await s().downloadDirectory(`${dir}/absent`, join(scratch, `${dir}-none`));
      expect(none).toEqual({ files: [], bytes: 0 });
    });

    it(`storage ${name} - child storages are rooted under their parent`, async () => {
      const dir = area();
      const child = s().child(`${dir}/sub`);
      expect(child.uri).toBe(s().uriOf(`${dir}/sub`));
      expect(child.uriOf('x.txt')).toBe(s().uriOf(`${dir}/sub/x.txt`));
      await child.writeFile('x.txt', 'from child');
      expect(await s().readText(`${dir}/sub/x.txt`)).toBe('from child');
      expect(await child.list()).toEqual(['x.txt']);
      await child.close();
      expect(await s().readText(`${dir}/sub/x.txt`)).toBe('from child');
    });

    it(`storage ${name} - paths escaping the root are rejected`, async () => {
      await expect(s().writeFile('../escape.txt', 'x')).rejects.toMatchObject({
        code: 'STORAGE_INVALID_PATH',
      });
      await expect(s().readFile('/abs.txt')).rejects.toMatchObject({ code: 'STORAGE_INVALID_PATH' });
      await expect(s().deletePrefix('a/../../b')).rejects.toMatchObject({ code: 'STORAGE_INVALID_PATH' });
    });
  });
}

function digest(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
