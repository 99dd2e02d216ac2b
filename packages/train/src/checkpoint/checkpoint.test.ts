import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpoint } from './checkpoint.ts';
import { MARKER_FILE } from './marker.ts';
import {
  checkpointDirName,
  latestCheckpoint,
  listCheckpoints,
  parseCheckpointDirName,
  persistCheckpoint,
  runUri,
} from './persist.ts';

describe('checkpoint', () => {
  let root: string;
  let run: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'manta-ckpt-'));
    run = runUri(join(root, 'runs'), 'exp');
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function localCheckpoint(name: string, files: Record<string, string>): Promise<Checkpoint> {
    const dir = join(root, 'local', name);
    for (const [path, text] of Object.entries(files)) {
      await mkdir(join(dir, path, '..'), { recursive: true });
      await writeFile(join(dir, path), text);
    }
    return Checkpoint.fromDirectory(dir);
  }

  it('checkpoint - names folders checkpoint_000000 and parses them back', () => {
    expect(checkpointDirName(3)).toBe('checkpoint_000003');
    expect(checkpointDirName(1234567)).toBe('checkpoint_1234567');
    expect(parseCheckpointDirName('checkpoint_000042')).toBe(42);
    expect(parseCheckpointDirName('checkpoint_42')).toBeUndefined();
    expect(() => checkpointDirName(-1)).toThrow(/non-negative integer/);
  });

  it('checkpoint - persists under the run folder with a marker holding metrics and file sizes', async () => {
    const source = await localCheckpoint('a', { 'model.json': '{}', 'shard/w.bin': 'abcdef' });
    const persisted = await persistCheckpoint(source, run, { index: 0, metrics: { loss: 0.5 } });
    expect(persisted.path).toBe(join(root, 'runs', 'exp', 'checkpoint_000000'));
    expect(persisted.uri).toMatch(/^file:\/\/.*\/runs\/exp\/checkpoint_000000$/);
    const marker = await persisted.assertComplete();
    expect(marker).toMatchObject({
      version: 1,
      index: 0,
      metrics: { loss: 0.5 },
      files: { 'model.json': 2, 'shard/w.bin': 6 },
    });
    expect(await persisted.listFiles()).toEqual(['model.json', 'shard/w.bin']);
    // The source is untouched.
    expect(await source.isComplete()).toBe(false);
    expect((await readdir(source.path)).sort()).toEqual(['model.json', 'shard']);
  });

  it('checkpoint - listing and latestCheckpoint ignore folders without a valid marker', async () => {
    const source = await localCheckpoint('a', { 'w.bin': 'x' });
    await persistCheckpoint(source, run, { index: 0, metrics: { step: 0 } });
    await persistCheckpoint(source, run, { index: 1, metrics: { step: 1 } });
    // An interrupted upload (no marker) and one whose marker is torn.
    await mkdir(join(run, 'checkpoint_000002'), { recursive: true });
    await writeFile(join(run, 'checkpoint_000002', 'w.bin'), 'partial');
    await mkdir(join(run, 'checkpoint_000003'), { recursive: true });
    await writeFile(join(run, 'checkpoint_000003', MARKER_FILE), '{"version":1,"ind');
    await writeFile(join(run, 'experiment_state.json'), '{}');
    const listed = await listCheckpoints(run);
    expect(listed.map((c) => c.index)).toEqual([0, 1]);
    expect(listed[1].marker.metrics).toEqual({ step: 1 });
    const latest = await latestCheckpoint(run);
    expect(latest?.index).toBe(1);
    expect(latest?.checkpoint.path).toBe(join(run, 'checkpoint_000001'));
    await expect(
      Checkpoint.fromDirectory(join(run, 'checkpoint_000002')).assertComplete(),
    ).rejects.toMatchObject({
      code: 'CHECKPOINT_INCOMPLETE',
    });
    expect(await latestCheckpoint(join(root, 'no-such-run'))).toBeUndefined();
  });

  it('checkpoint - leftovers of an interrupted upload are ignored, then cleared by a retry at the same index', async () => {
    const source = await localCheckpoint('a', { 'a.bin': 'aaaa', 'b.bin': 'bbbb' });
    // What a crash mid-upload leaves: some files, no marker, maybe a stale file the source lacks.
    await mkdir(join(run, 'checkpoint_000000'), { recursive: true });
    await writeFile(join(run, 'checkpoint_000000', 'a.bin'), 'aa');
    await writeFile(join(run, 'checkpoint_000000', 'stale.bin'), 'old');
    expect(await listCheckpoints(run)).toEqual([]);
    expect(await latestCheckpoint(run)).toBeUndefined();
    const persisted = await persistCheckpoint(source, run, { index: 0 });
    expect(await persisted.listFiles()).toEqual(['a.bin', 'b.bin']);
    expect(await readFile(join(persisted.path, 'a.bin'), 'utf8')).toBe('aaaa');
    expect((await listCheckpoints(run)).map((c) => c.index)).toEqual([0]);
  });

  it('checkpoint - persisting a missing folder fails and marks nothing complete', async () => {
    const missing = Checkpoint.fromDirectory(join(root, 'local', 'never-written'));
    await expect(persistCheckpoint(missing, run, { index: 0 })).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });
    expect(await listCheckpoints(run)).toEqual([]);
  });

  it('checkpoint - toDirectory materialises a copy without the marker; delete removes marker and folder', async () => {
    const source = await localCheckpoint('a', { 'model.json': '{"m":1}', 'd/e.bin': 'e' });
    const persisted = await persistCheckpoint(source, run, { index: 4 });
    const copy = await persisted.toDirectory(join(root, 'copy'));
    expect((await readdir(copy)).sort()).toEqual(['d', 'model.json']);
    expect(await readFile(join(copy, 'model.json'), 'utf8')).toBe('{"m":1}');
    const temp = await persisted.toDirectory();
    expect(temp).not.toBe(persisted.path);
    expect(await readFile(join(temp, 'd', 'e.bin'), 'utf8')).toBe('e');
    await rm(temp, { recursive: true, force: true });
    expect(await persisted.toDirectory(persisted.path)).toBe(persisted.path);
    // A local checkpoint is read in place: no copy, nothing deleted afterwards.
    expect(await persisted.asDirectory((dir) => dir)).toBe(persisted.path);
    expect(await readFile(join(persisted.path, 'model.json'), 'utf8')).toBe('{"m":1}');
    await persisted.delete();
    expect(await readdir(run)).toEqual([]);
  });

  it('checkpoint - a persisted checkpoint can be persisted again (e.g. into another run)', async () => {
    const source = await localCheckpoint('a', { 'w.bin': 'w' });
    const first = await persistCheckpoint(source, run, { index: 0 });
    const second = await persistCheckpoint(first, runUri(join(root, 'runs'), 'other'), {
      index: 7,
      metrics: { x: 1 },
    });
    expect(second.path).toBe(join(root, 'runs', 'other', 'checkpoint_000007'));
    expect((await second.assertComplete()).index).toBe(7);
    await expect(persistCheckpoint(first, run, { index: 0 })).rejects.toThrow(/already at/);
  });

  it('checkpoint - serialises to its URI', async () => {
    const checkpoint = Checkpoint.fromDirectory(join(root, 'x'));
    const again = Checkpoint.fromJSON(JSON.parse(JSON.stringify(checkpoint)));
    expect(again.uri).toBe(checkpoint.uri);
    expect(again.path).toBe(join(root, 'x'));
    expect(again.isLocal).toBe(true);
    const remote = Checkpoint.fromUri('s3://bucket/runs/exp/checkpoint_000001/');
    expect(remote).toMatchObject({
      uri: 's3://bucket/runs/exp/checkpoint_000001',
      path: 'bucket/runs/exp/checkpoint_000001',
      isLocal: false,
    });
  });
});
