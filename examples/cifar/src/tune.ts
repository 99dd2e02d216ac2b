/**
 * An ASHA sweep over learning rate, weight decay and batch size for the CIFAR demo: each
 * trial is a DataParallelTrainer run (1 worker), 2 trials at a time on the embedded cluster;
 * then the best trial's checkpoint is evaluated on the test split.
 *
 *   npx tsx examples/cifar/src/tune.ts [--quick] [--samples 6] [--storage PATH|s3://...]
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, isMainModule, shutdown } from '@manta/core';
import { Checkpoint, DataParallelTrainer, loadModelFromDirectory, selectBackend } from '@manta/train';
import { ASHAScheduler, choice, loguniform, Tuner } from '@manta/tune';
import { Command } from 'commander';
import { cifar, epochBatches, testFile } from './data.ts';
import { accuracyOn, cifarLoop } from './loop.ts';
import { ensureSyntheticCifar } from './synthetic.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface SweepSummary {
  trials: number;
  bestConfig: Record<string, unknown>;
  bestValAcc: number;
  testAccuracy: number;
  iterations: number;
  path: string;
}

export async function runSweep(options: {
  quick?: boolean;
  samples?: number;
  storage?: string;
  dataDir?: string;
  seed?: number;
}): Promise<SweepSummary> {
  const quick = options.quick ?? false;
  const sizes = quick ? { train: 2000, test: 500 } : { train: 10_000, test: 2000 };
  const dataDir =
    options.dataDir ?? ensureSyntheticCifar(resolve(here, `../data/synthetic-${sizes.train}`), sizes);
  const epochs = quick ? 3 : 6;
  await init({ logToDriver: false });
  try {
    const trainer = new DataParallelTrainer(cifarLoop, {
      trainLoopConfig: {
        dataDir,
        epochs,
        batchSize: 64,
        lr: 2e-3,
        weightDecay: 5e-4,
        width: quick ? 8 : 16,
        blocks: 1,
        augment: true,
        trainLimit: sizes.train,
        testLimit: sizes.test,
      },
      scalingConfig: { numWorkers: 1 },
    });
    const tuner = new Tuner(trainer, {
      paramSpace: {
        trainLoopConfig: {
          lr: loguniform(5e-4, 1e-2),
          weightDecay: loguniform(1e-5, 1e-3),
          batchSize: choice([32, 64]),
        },
      },
      tuneConfig: {
        metric: 'valAcc',
        mode: 'max',
        numSamples: options.samples ?? (quick ? 4 : 8),
        maxConcurrentTrials: 2,
        seed: options.seed ?? 7,
        scheduler: new ASHAScheduler({
          timeAttr: 'training_iteration',
          maxT: epochs,
          gracePeriod: 1,
          reductionFactor: 2,
        }),
      },
      runConfig: {
        name: `cifar-sweep-${Date.now()}`,
        storagePath: options.storage ?? resolve(here, '../runs'),
      },
    });
    const grid = await tuner.fit();
    const best = grid.getBestResult();
    if (!best.checkpoint) throw new Error('the best trial has no checkpoint');
    await selectBackend({});
    // With s3:// storage the best checkpoint is a URI, downloaded for the load.
    const { model } = await Checkpoint.fromUri(best.checkpoint).asDirectory((dir) =>
      loadModelFromDirectory(dir),
    );
    const testAccuracy = await accuracyOn(
      model,
      epochBatches(cifar(testFile(dataDir)).limit(sizes.test), {
        batchSize: 256,
        augment: false,
        seed: 'eval',
      }),
    );
    return {
      trials: [...grid].length,
      bestConfig: best.config,
      bestValAcc: Number(best.metrics?.valAcc ?? 0),
      testAccuracy,
      iterations: [...grid].reduce((n, r) => n + r.metricsHistory.length, 0),
      path: grid.experimentPath,
    };
  } finally {
    await shutdown();
  }
}

async function main(): Promise<void> {
  const opts = new Command('cifar-tune')
    .option('--quick', 'small trials (a minute or two)')
    .option('--samples <n>', 'number of trials', (v) => Number(v))
    .option('--storage <path>', 'experiment folder root (local or s3://)')
    .option('--data-dir <dir>', 'CIFAR-10 binary files (default: synthetic)')
    .parse()
    .opts() as { quick?: boolean; samples?: number; storage?: string; dataDir?: string };
  const summary = await runSweep(opts);
  console.log(
    `\nASHA sweep: ${summary.trials} trials, ${summary.iterations} epochs in all\n` +
      `  best config: ${JSON.stringify(summary.bestConfig)}\n` +
      `  best valAcc ${(summary.bestValAcc * 100).toFixed(1)}%, test accuracy of its checkpoint ${(summary.testAccuracy * 100).toFixed(1)}%\n` +
      `  experiment: ${summary.path}`,
  );
}

if (isMainModule(import.meta.url)) await main();
