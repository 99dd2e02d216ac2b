import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Checkpoint } from './checkpoint.ts';
import { CheckpointManager } from './manager.ts';

describe('checkpoint manager', () => {
  let root: string;
  let n = 0;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'manta-mgr-'));
    n = 0;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function checkpoint(): Promise<Checkpoint> {
    const dir = join(root, `checkpoint_${String(n++).padStart(6, '0')}`);
    await mkdir(dir);
    await writeFile(join(dir, 'w.bin'), 'w');
    return Checkpoint.fromDirectory(dir);
  }
  const names = (list: { checkpoint: Checkpoint }[]) => list.map((t) => t.checkpoint.path.slice(-2)).sort();
  const onDisk = async () => (await readdir(root)).map((d) => d.slice(-2)).sort();

  it('checkpoint manager - keeps the best N by a max score plus the latest, deleting the rest', async () => {
    const manager = new CheckpointManager({ numToKeep: 2, scoreAttribute: 'acc', scoreOrder: 'max' });
    for (const acc of [0.5, 0.9, 0.7, 0.8, 0.1]) await manager.register(await checkpoint(), { acc });
    // Best two: 01 (0.9), 03 (0.8); the latest 04 (0.1) is kept as well.
    expect(names(manager.checkpoints)).toEqual(['01', '03', '04']);
    expect(await onDisk()).toEqual(['01', '03', '04']);
    expect(manager.best?.metrics).toEqual({ acc: 0.9 });
    expect(manager.latest?.metrics).toEqual({ acc: 0.1 });
    expect(manager.bestCheckpoints.map((t) => t.metrics.acc)).toEqual([0.9, 0.8, 0.1]);
    const result = await manager.register(await checkpoint(), { acc: 0.85 });
    expect(names(result.evicted)).toEqual(['03', '04']);
    expect(result.deleteErrors).toEqual([]);
    expect(await onDisk()).toEqual(['01', '05']);
  });

  it('checkpoint manager - scoreOrder min keeps the lowest; NaN ranks worst; ties go to the newer', async () => {
    const manager = new CheckpointManager({ numToKeep: 1, scoreAttribute: 'loss', scoreOrder: 'min' });
    await manager.register(await checkpoint(), { loss: 0.3 });
    await manager.register(await checkpoint(), { loss: Number.NaN });
    await manager.register(await checkpoint(), { loss: 0.3 });
    await manager.register(await checkpoint(), { loss: 0.4 });
    expect(manager.best?.checkpoint.path.slice(-2)).toBe('02');
    expect(await onDisk()).toEqual(['02', '03']);
  });

  it('checkpoint manager - without a scoreAttribute keeps the newest N', async () => {
    const manager = new CheckpointManager({ numToKeep: 2 });
    for (let i = 0; i < 4; i++) await manager.register(await checkpoint(), { step: i });
    expect(await onDisk()).toEqual(['02', '03']);
    expect(manager.best?.metrics).toEqual({ step: 3 });
    const keepAll = new CheckpointManager();
    for (let i = 0; i < 3; i++) await keepAll.register(await checkpoint(), {});
    expect(keepAll.checkpoints).toHaveLength(3);
  });

  it('checkpoint manager - metrics lacking the scoreAttribute get a clear error and change nothing', async () => {
    const manager = new CheckpointManager({ numToKeep: 1, scoreAttribute: 'valAcc' });
    await manager.register(await checkpoint(), { valAcc: 0.1 });
    const error = await manager
      .register(await checkpoint(), { loss: 0.2, acc: 0.3 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'CHECKPOINT_METRIC_MISSING',
      scoreAttribute: 'valAcc',
      availableMetrics: ['loss', 'acc'],
    });
    expect(String((error as Error).message)).toMatch(
      /scoreAttribute is "valAcc".*Reported metrics: loss, acc/,
    );
    await expect(manager.register(await checkpoint(), { valAcc: '0.5' })).rejects.toThrow(
      /"0\.5", which is not a number/,
    );
    expect(manager.checkpoints).toHaveLength(1);
    // Nested metrics are reachable with "/".
    const nested = new CheckpointManager({ scoreAttribute: 'val/acc' });
    await nested.register(await checkpoint(), { val: { acc: 0.4 } });
    expect(nested.best?.metrics).toEqual({ val: { acc: 0.4 } });
  });

  it('checkpoint manager - rejects invalid config naming the field', () => {
    expect(() => new CheckpointManager({ numToKeep: 0 })).toThrow(/checkpointConfig\.numToKeep/);
    expect(() => new CheckpointManager({ scoreOrder: 'up' as never })).toThrow(
      /checkpointConfig\.scoreOrder/,
    );
  });

  it('checkpoint manager - save and restore keep the tracked set and report order', async () => {
    const manager = new CheckpointManager({ numToKeep: 1, scoreAttribute: 'acc' });
    await manager.register(await checkpoint(), { acc: 0.9 });
    await manager.register(await checkpoint(), { acc: 0.2 });
    const state = JSON.parse(JSON.stringify(manager.save()));
    const restored = CheckpointManager.restore(state, { numToKeep: 1, scoreAttribute: 'acc' });
    expect(restored.best?.checkpoint.uri).toBe(manager.best?.checkpoint.uri);
    await restored.register(await checkpoint(), { acc: 0.5 });
    expect(restored.latest?.order).toBe(2);
    expect(await onDisk()).toEqual(['00', '02']);
  });
});
