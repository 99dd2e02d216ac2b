import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelFromDirectory, saveModelToDirectory } from './tfjs.ts';

function buildModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(
    tf.layers.dense({
      inputShape: [4],
      units: 8,
      activation: 'tanh',
      kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  return model;
}

/** A deterministic batch for step `i`. */
function batch(i: number): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const xs = Array.from({ length: 16 * 4 }, (_, k) => Math.sin(i * 31 + k * 7));
  const ys = Array.from({ length: 16 }, (_, k) => Math.cos(i * 13 + k));
  return { x: tf.tensor2d(xs, [16, 4]), y: tf.tensor2d(ys, [16, 1]) };
}

function train(model: tf.LayersModel, optimizer: tf.Optimizer, from: number, steps: number): void {
  for (let i = from; i < from + steps; i++) {
    tf.tidy(() => {
      const { x, y } = batch(i);
      optimizer.minimize(
        () => tf.losses.meanSquaredError(y, model.predict(x) as tf.Tensor) as tf.Scalar,
        false,
        model.trainableWeights.map((w) => w.read() as tf.Variable),
      );
    });
  }
}

async function weightsOf(model: tf.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
}

describe('tfjs checkpoint', () => {
  let dir: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'manta-tfjs-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tfjs checkpoint - an Adam-trained model restored mid-run ends with the same weights as an uninterrupted run', async () => {
    const [N, K] = [7, 5];
    const model = buildModel();
    const adam = tf.train.adam(0.01);
    train(model, adam, 0, N);
    await saveModelToDirectory(model, dir, { optimizer: adam, state: { step: N } });
    expect((await readdir(dir)).sort()).toEqual([
      'model.json',
      'optimizer.bin',
      'optimizer.json',
      'state.json',
      'weights.bin',
    ]);
    train(model, adam, N, K);
    const uninterrupted = await weightsOf(model);

    const restored = await loadModelFromDirectory<{ step: number }>(dir);
    expect(restored.state).toEqual({ step: N });
    expect(restored.optimizer?.getClassName()).toBe('Adam');
    train(restored.model, restored.optimizer!, restored.state!.step, K);
    expect(await weightsOf(restored.model)).toEqual(uninterrupted);

    // Without the optimizer state, Adam restarts its moments and the runs diverge.
    const fresh = await loadModelFromDirectory(dir);
    const reset = tf.train.adam(0.01);
    train(fresh.model, reset, N, K);
    expect(await weightsOf(fresh.model)).not.toEqual(uninterrupted);
  });

  it('tfjs checkpoint - loads optimizer state into an optimizer the caller gives, and rejects a different class', async () => {
    const model = buildModel();
    const adam = tf.train.adam(0.05);
    train(model, adam, 0, 3);
    const sub = join(dir, 'given');
    await saveModelToDirectory(model, sub, { optimizer: adam });
    const mine = tf.train.adam(0.05);
    const loaded = await loadModelFromDirectory(sub, { optimizer: mine });
    expect(loaded.optimizer).toBe(mine);
    expect(loaded.state).toBeUndefined();
    expect(mine.iterations).toBe(3);
    await expect(loadModelFromDirectory(sub, { optimizer: tf.train.sgd(0.1) })).rejects.toMatchObject({
      code: 'CHECKPOINT_OPTIMIZER_MISMATCH',
    });
  });

  it('tfjs checkpoint - a folder without model.json is a clear error', async () => {
    await expect(loadModelFromDirectory(join(dir, 'nothing-here'))).rejects.toMatchObject({
      code: 'CHECKPOINT_NOT_FOUND',
    });
  });
});
