import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
// Switch to '@manta/train' once packages/train/src/index.ts exports selectBackend.
import { selectBackend } from '../../../packages/train/src/tfjs/index.ts';
import { buildCifarModel } from './model.ts';

beforeAll(async () => {
  expect(await selectBackend({ backend: 'wasm' })).toBe('wasm');
});

describe('cifar model - buildCifarModel', () => {
  it('is a ResNet-style CNN of 0.3-0.6M parameters for 32x32x3 inputs', () => {
    const model = buildCifarModel();
    expect(model.inputs[0].shape).toEqual([null, 32, 32, 3]);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    expect(model.countParams()).toBeGreaterThan(300_000);
    expect(model.countParams()).toBeLessThan(600_000);
    const classes = model.layers.map((l) => l.getClassName());
    expect(classes.filter((c) => c === 'Add').length).toBe(3);
    expect(classes).toContain('BatchNormalization');
    expect(classes).toContain('GlobalAveragePooling2D');
    model.dispose();
  });

  it('rejects a bad width', () => {
    expect(() => buildCifarModel({ width: 0 })).toThrow(/width must be a positive integer, got 0/);
  });

  it('one training step on wasm lowers the loss on a fixed batch', async () => {
    const model = buildCifarModel({ width: 8, seed: 3 });
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
    const x = tf.randomUniform([8, 32, 32, 3], 0, 1, 'float32', 5);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), 10);
    const before = tf.memory().numTensors;
    // trainOnBatch returns the loss of the forward pass before its update.
    const first = (await model.trainOnBatch(x, y)) as number;
    const second = (await model.trainOnBatch(x, y)) as number;
    expect(Number.isFinite(first)).toBe(true);
    expect(second).toBeLessThan(first);
    // Optimizer slots are created on the first step; nothing else may accumulate.
    const afterTwo = tf.memory().numTensors;
    await model.trainOnBatch(x, y);
    expect(tf.memory().numTensors).toBe(afterTwo);
    expect(afterTwo).toBeGreaterThanOrEqual(before);
    x.dispose();
    y.dispose();
    model.dispose();
  });
});
