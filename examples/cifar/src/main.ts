/**
 * The end-to-end demo: trains a small ResNet on CIFAR-10 with DataParallelTrainer (2 workers
 * on the embedded local cluster), checkpoints every epoch, evaluates the best checkpoint,
 * exports it to ONNX and checks batch inference with onnxruntime agrees with tfjs.
 *
 *   npx tsx examples/cifar/src/main.ts [--quick] [--data-dir DIR] [--storage PATH|s3://...] [--resume]
 *
 * Real CIFAR-10: download "CIFAR-10 binary version" (cifar-10-binary.tar.gz) from
 * https://www.cs.toronto.edu/~kriz/cifar.html, unpack it, and pass --data-dir
 * cifar-10-batches-bin. Without it, a synthetic CIFAR-format set is generated and read through
 * the same loader.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init, isMainModule, shutdown } from '@manta/core';
import { parseConfig } from '@manta/core/internal';
import {
  DataParallelTrainer,
  latestCheckpoint,
  loadModelFromDirectory,
  runUri,
  selectBackend,
} from '@manta/train';
import { Command } from 'commander';
import { z } from 'zod';
import { cifar, epochBatches, testFile } from './data.ts';
import { exportToOnnx } from './export-onnx.ts';
import { accuracyOn, type CifarLoopConfig, cifarLoop } from './loop.ts';
import { predictTestSplit } from './predict.ts';
import { ensureSyntheticCifar, hasCifarFiles } from './synthetic.ts';

const here = dirname(fileURLToPath(import.meta.url));

const OptionsSchema = z.object({
  quick: z.boolean().default(false),
  dataDir: z.string().optional(),
  storage: z.string().default(resolve(here, '../runs')),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('cifar'),
  workers: z.coerce.number().int().min(1).default(2),
  epochs: z.coerce.number().int().min(1).optional(),
  resume: z.boolean().default(false),
  json: z.boolean().default(false),
});

export interface DemoSummary {
  name: string;
  runDir: string;
  epochs: number;
  startEpoch: number;
  valAcc: number;
  tfjsAccuracy: number;
  onnxAccuracy: number;
  agreement: number;
  checkpoint: string | null;
  onnxPath: string;
  backend: string;
  samplesPerSec: number;
  seconds: number;
}

export async function runDemo(raw: Record<string, unknown>): Promise<DemoSummary> {
  const options = parseConfig(OptionsSchema, raw, 'cifar demo options');
  const started = Date.now();
  const sizes = options.quick ? { train: 2000, test: 500 } : { train: 10_000, test: 2000 };
  const dataDir =
    options.dataDir && hasCifarFiles(options.dataDir)
      ? options.dataDir
      : ensureSyntheticCifar(resolve(here, `../data/synthetic-${sizes.train}`), sizes);
  if (options.dataDir && dataDir !== options.dataDir)
    console.error(`no CIFAR-10 files in ${options.dataDir}: using synthetic data`);
  const real = dataDir === options.dataDir;
  const loopConfig: CifarLoopConfig = {
    dataDir,
    epochs: options.epochs ?? (options.quick ? 3 : 5),
    batchSize: 64,
    lr: options.quick ? 3e-3 : 2e-3,
    weightDecay: 5e-4,
    width: options.quick ? 8 : 16,
    blocks: 1,
    augment: true,
    trainLimit: real ? undefined : sizes.train,
    testLimit: real ? undefined : sizes.test,
  };
  await init({ logToDriver: false });
  try {
    const runDir = runUri(options.storage, options.name);
    const resumeFrom = options.resume ? (await latestCheckpoint(runDir))?.checkpoint : undefined;
    if (options.resume)
      console.error(
        resumeFrom ? `resuming from ${resumeFrom.uri}` : `nothing to resume in ${runDir}: starting fresh`,
      );
    const trainer = new DataParallelTrainer(cifarLoop, {
      trainLoopConfig: { ...loopConfig },
      scalingConfig: { numWorkers: options.workers },
      runConfig: {
        name: options.name,
        storagePath: options.storage,
        checkpointConfig: { numToKeep: 2, scoreAttribute: 'valAcc', scoreOrder: 'max' },
        failureConfig: { maxFailures: 2 },
      },
      resumeFromCheckpoint: resumeFrom,
    });
    const result = await trainer.fit();
    const best = result.bestCheckpoints[0]?.checkpoint ?? result.checkpoint;
    if (!best) throw new Error('training produced no checkpoint');

    // Evaluate the best checkpoint with tfjs, export it, and compare with onnxruntime.
    await selectBackend({});
    const { model } = await best.asDirectory((dir) => loadModelFromDirectory(dir));
    const tfjsAccuracy = await accuracyOn(
      model,
      epochBatches(cifar(testFile(dataDir)).limit(sizes.test), {
        batchSize: 256,
        augment: false,
        seed: 'eval',
      }),
    );
    const localRunDir = runDir.startsWith('s3://')
      ? resolve(here, '../runs', options.name)
      : runDir.replace(/^file:\/\//, '');
    mkdirSync(localRunDir, { recursive: true });
    const onnxPath = join(localRunDir, 'model.onnx');
    writeFileSync(onnxPath, exportToOnnx(model));
    const onnx = await predictTestSplit(onnxPath, dataDir, { limit: sizes.test });
    const tfjsPredicted = await predictedClasses(model, dataDir, sizes.test);
    const agreement =
      tfjsPredicted.filter((p, i) => p === onnx.predicted[i]).length / Math.max(1, tfjsPredicted.length);
    const last = result.metrics as { valAcc?: number; samplesPerSec?: number };
    return {
      name: options.name,
      runDir,
      epochs: result.metricsHistory.length,
      startEpoch: Number(result.metricsHistory[0]?.startEpoch ?? 0),
      valAcc: last.valAcc ?? 0,
      tfjsAccuracy,
      onnxAccuracy: onnx.accuracy,
      agreement,
      checkpoint: best.uri,
      onnxPath,
      backend: result.backend,
      samplesPerSec: last.samplesPerSec ?? 0,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await shutdown();
  }
}

async function predictedClasses(
  model: import('@tensorflow/tfjs').LayersModel,
  dataDir: string,
  limit: number,
): Promise<number[]> {
  const tf = await import('@tensorflow/tfjs');
  const out: number[] = [];
  for await (const batch of epochBatches(cifar(testFile(dataDir)).limit(limit), {
    batchSize: 256,
    augment: false,
    seed: 'eval',
  })) {
    const predicted = tf.tidy(() =>
      (
        model.predict(tf.tensor4d(batch.images, [batch.size, 32, 32, 3])) as import('@tensorflow/tfjs').Tensor
      ).argMax(1),
    );
    out.push(...(await predicted.data()));
    predicted.dispose();
  }
  return out;
}

async function main(): Promise<void> {
  const program = new Command('cifar')
    .description('Train a ResNet on CIFAR-10 with Manta, export it to ONNX, check batch inference')
    .option('--quick', 'a small run (under a minute on 2 cores), for CI')
    .option('--data-dir <dir>', 'folder with the CIFAR-10 binary files (data_batch_1.bin ... test_batch.bin)')
    .option('--storage <path>', 'where runs and checkpoints go: a folder or s3://bucket/prefix')
    .option('--name <name>', 'run name')
    .option('--workers <n>', 'training workers')
    .option('--epochs <n>', 'epochs')
    .option('--resume', 'continue the run from its latest checkpoint')
    .option('--json', 'print the summary as one JSON line at the end')
    .parse();
  const summary = await runDemo(program.opts());
  console.log(
    `\nCIFAR demo: ${summary.epochs} epoch(s) on ${summary.backend}, ${summary.samplesPerSec.toFixed(0)} samples/s\n` +
      `  test accuracy (tfjs, best checkpoint): ${(summary.tfjsAccuracy * 100).toFixed(1)}%  (chance: 10%)\n` +
      `  test accuracy (ONNX, onnxruntime):     ${(summary.onnxAccuracy * 100).toFixed(1)}%  agreement ${(summary.agreement * 100).toFixed(1)}%\n` +
      `  checkpoint: ${summary.checkpoint}\n  onnx model: ${summary.onnxPath}\n  ${summary.seconds.toFixed(0)} s in all`,
  );
  if (program.opts().json) console.log(JSON.stringify(summary));
}

if (isMainModule(import.meta.url)) await main();
