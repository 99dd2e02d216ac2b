/**
 * The training loop every worker runs: its shard of CIFAR-10, augmentation in the data
 * pipeline, the ResNet from model.ts, gradients averaged across workers each step, test
 * accuracy and a checkpoint (model + optimizer state) reported after every epoch.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allReduceMean,
  Checkpoint,
  DistributedOptimizer,
  getCheckpoint,
  getContext,
  loadModelFromDirectory,
  prepareModel,
  report,
  saveModelToDirectory,
  trainLoop,
} from '@manta/train';
import * as tf from '@tensorflow/tfjs';
import { cifar, epochBatches, shardOf, testFile, trainFiles } from './data.ts';
import { buildCifarModel } from './model.ts';

export interface CifarLoopConfig {
  dataDir: string;
  epochs: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  width: number;
  blocks: number;
  augment: boolean;
  trainLimit?: number;
  testLimit?: number;
}

/** Cross-entropy of softmax outputs plus L2 weight decay on the convolution and dense kernels. */
function lossOf(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, weightDecay: number): tf.Scalar {
  const probs = model.apply(x, { training: true }) as tf.Tensor;
  let loss = tf.metrics.categoricalCrossentropy(y, probs).mean() as tf.Scalar;
  if (weightDecay > 0) {
    const kernels = model.trainableWeights.filter((w) => w.name.includes('kernel')).map((w) => w.read());
    loss = loss.add(tf.addN(kernels.map((k) => k.square().sum())).mul(weightDecay / 2)) as tf.Scalar;
  }
  return loss;
}

export async function accuracyOn(
  model: tf.LayersModel,
  batches: AsyncIterable<{ images: Float32Array; labels: Int32Array; size: number }>,
) {
  let correct = 0;
  let total = 0;
  for await (const batch of batches) {
    const predicted = tf.tidy(() =>
      (model.predict(tf.tensor4d(batch.images, [batch.size, 32, 32, 3])) as tf.Tensor).argMax(1),
    );
    const values = await predicted.data();
    predicted.dispose();
    for (let i = 0; i < batch.size; i++) if (values[i] === batch.labels[i]) correct++;
    total += batch.size;
  }
  return total === 0 ? 0 : correct / total;
}

export const cifarLoop = trainLoop(import.meta.url, async (raw: Record<string, unknown>) => {
  const config = raw as unknown as CifarLoopConfig;
  const { worldRank, worldSize } = getContext();
  const model = buildCifarModel({ width: config.width, blocks: config.blocks, seed: 1 });
  const optimizer = tf.train.adam(config.lr);
  let startEpoch = 0;
  const restored = getCheckpoint();
  if (restored) {
    const loaded = await restored.asDirectory((dir) =>
      loadModelFromDirectory<{ epoch: number }>(dir, { optimizer }),
    );
    model.setWeights(loaded.model.getWeights());
    loaded.model.dispose();
    startEpoch = (loaded.state?.epoch ?? -1) + 1;
  }
  await prepareModel(model);
  const distributed = new DistributedOptimizer(optimizer);
  const train = await shardOf(cifar(trainFiles(config.dataDir)), worldRank, worldSize, config.trainLimit);
  const test = await shardOf(cifar(testFile(config.dataDir)), worldRank, worldSize, config.testLimit);

  for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
    const started = performance.now();
    let samples = 0;
    let lossSum = 0;
    let steps = 0;
    const batches = epochBatches(train, {
      batchSize: config.batchSize,
      augment: config.augment,
      seed: `${epoch}-${worldRank}`,
      dropLast: true,
    });
    for await (const batch of batches) {
      const x = tf.tensor4d(batch.images, [batch.size, 32, 32, 3]);
      const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), 10);
      lossSum += await distributed.step(() => lossOf(model, x, y, config.weightDecay));
      tf.dispose([x, y]);
      samples += batch.size;
      steps++;
    }
    const seconds = (performance.now() - started) / 1000;
    const valAcc = await allReduceMean(
      await accuracyOn(model, epochBatches(test, { batchSize: 256, augment: false, seed: 'test' })),
    );
    const trainLoss = await allReduceMean(steps ? lossSum / steps : 0);
    const metrics = { epoch, trainLoss, valAcc, samplesPerSec: (samples * worldSize) / seconds, startEpoch };
    if (worldRank === 0) {
      const dir = mkdtempSync(join(tmpdir(), 'cifar-ckpt-'));
      try {
        await saveModelToDirectory(model, dir, { optimizer, state: { epoch, valAcc } });
        // report() returns once the checkpoint is persisted: the temp folder can go.
        await report(metrics, { checkpoint: Checkpoint.fromDirectory(dir) });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } else {
      await report(metrics);
    }
  }
});
