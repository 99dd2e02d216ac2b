/**
 * Batch inference over the test split with an ONNX model: `OnnxPredictor` in `mapBatches`
 * with a pool of 2 workers, each holding one onnxruntime session.
 *   npx tsx examples/cifar/src/predict.ts --model runs/cifar/model.onnx --data-dir data/synthetic
 */
import { writeFileSync } from 'node:fs';
import { isMainModule } from '@manta/core';
import { OnnxPredictor } from '@manta/data';
import { Command } from 'commander';
import { cifar, testFile } from './data.ts';

export interface Predictions {
  labels: Int32Array;
  predicted: Int32Array;
  accuracy: number;
}

export async function predictTestSplit(
  modelPath: string,
  dataDir: string,
  options: { limit?: number; poolSize?: number } = {},
): Promise<Predictions> {
  let dataset = cifar(testFile(dataDir));
  if (options.limit) dataset = dataset.limit(options.limit);
  const scored = dataset
    .mapBatches(
      (batch: Record<string, unknown>) => {
        // uint8 HWC pixels -> float32 in [0, 1], the model's input `image`
        const image = batch.image as { data: Uint8Array; shape: number[] };
        const pixels = new Float32Array(image.data.length);
        for (let i = 0; i < pixels.length; i++) pixels[i] = image.data[i] / 255;
        return { label: batch.label, image: { data: pixels, shape: image.shape } };
      },
      { batchSize: 256 },
    )
    .mapBatches(OnnxPredictor, {
      constructorArgs: [{ model: modelPath, keepColumns: true }],
      batchFormat: 'tensor',
      batchSize: 256,
      concurrency: options.poolSize ?? 2,
    });
  const labels: number[] = [];
  const predicted: number[] = [];
  for await (const batch of scored.iterBatches({ batchSize: 512 })) {
    const probs = batch.probs as { data: Float32Array; shape: number[] };
    const rows = probs.shape[0];
    const classes = probs.shape[1];
    const batchLabels = batch.label as ArrayLike<number>;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let c = 1; c < classes; c++)
        if (probs.data[r * classes + c] > probs.data[r * classes + best]) best = c;
      predicted.push(best);
      labels.push(batchLabels[r]);
    }
  }
  const correct = predicted.filter((p, i) => p === labels[i]).length;
  return {
    labels: Int32Array.from(labels),
    predicted: Int32Array.from(predicted),
    accuracy: correct / Math.max(1, labels.length),
  };
}

async function main(): Promise<void> {
  const options = new Command('predict')
    .requiredOption('--model <path>', 'the exported model.onnx')
    .requiredOption('--data-dir <dir>', 'folder with test_batch.bin')
    .option('--out <file>', 'write predictions as JSON lines')
    .parse()
    .opts() as { model: string; dataDir: string; out?: string };
  const result = await predictTestSplit(options.model, options.dataDir);
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
