/**
 * Batch inference over the test split with an ONNX model: `OnnxPredictor` in a pool of 2
 * actors (worker processes), each holding one onnxruntime session.
 *   npx tsx examples/cifar/src/predict.ts --model runs/cifar/model.onnx --data-dir data/synthetic
 */
import { writeFileSync } from 'node:fs';
import { actor, get, init, isMainModule, kill, shutdown } from '@manta/core';
import { OnnxPredictor } from '@manta/data';
import { Command } from 'commander';
import { cifar, epochBatches, testFile } from './data.ts';

export interface Predictions {
  labels: Int32Array;
  predicted: Int32Array;
  accuracy: number;
}

/** One onnxruntime session per actor process, created once and reused for every batch. */
export const PredictorActor = actor(
  import.meta.url,
  class PredictorActor {
    private readonly predictor: OnnxPredictor;
    constructor(model: string) {
      this.predictor = new OnnxPredictor({ model, keepColumns: false });
    }
    async predict(images: Float32Array, rows: number): Promise<Float32Array> {
      const out = await this.predictor.call({ image: { data: images, shape: [rows, 32, 32, 3] } });
      return ((out as Record<string, unknown>).probs as { data: Float32Array }).data;
    }
  },
);

/**
 * Scores the test split with a pool of `poolSize` predictor actors (separate processes), batches
 * handed out round-robin, at most two in flight per actor. Needs `init()`.
 */
export async function predictTestSplit(
  modelPath: string,
  dataDir: string,
  options: { limit?: number; poolSize?: number } = {},
): Promise<Predictions> {
  let dataset = cifar(testFile(dataDir));
  if (options.limit) dataset = dataset.limit(options.limit);
  const pool = await Promise.all(
    Array.from({ length: options.poolSize ?? 2 }, () =>
      PredictorActor.options({ numCpus: 0 }).remote(modelPath),
    ),
  );
  try {
    const labels: number[] = [];
    const pending: Promise<Float32Array>[] = [];
    let next = 0;
    for await (const batch of epochBatches(dataset, { batchSize: 256, augment: false, seed: 'predict' })) {
      labels.push(...batch.labels);
      pending.push(get(pool[next++ % pool.length].predict.remote(batch.images, batch.size)));
      if (pending.length >= pool.length * 2) await pending[pending.length - pool.length * 2];
    }
    const predicted: number[] = [];
    for (const probs of await Promise.all(pending)) {
      for (let r = 0; r < probs.length / 10; r++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (probs[r * 10 + c] > probs[r * 10 + best]) best = c;
        predicted.push(best);
      }
    }
    const correct = predicted.filter((p, i) => p === labels[i]).length;
    return {
      labels: Int32Array.from(labels),
      predicted: Int32Array.from(predicted),
      accuracy: correct / Math.max(1, labels.length),
    };
  } finally {
    await Promise.all(pool.map((predictor) => kill(predictor)));
  }
}

async function main(): Promise<void> {
  const options = new Command('predict')
    .requiredOption('--model <path>', 'the exported model.onnx')
    .requiredOption('--data-dir <dir>', 'folder with test_batch.bin')
    .option('--out <file>', 'write predictions as JSON lines')
    .parse()
    .opts() as { model: string; dataDir: string; out?: string };
  await init({ logToDriver: false });
  const result = await predictTestSplit(options.model, options.dataDir).finally(() => shutdown());
  console.log(`ONNX accuracy on ${result.labels.length} test images: ${(result.accuracy * 100).toFixed(2)}%`);
  if (options.out)
    writeFileSync(
      options.out,
      Array.from(result.predicted, (p, i) => JSON.stringify({ label: result.labels[i], predicted: p })).join(
        '\n',
      ),
    );
}

if (isMainModule(import.meta.url)) await main();
