/**
 * The demo's input pipeline, built on @manta/data: CIFAR-10 binary files read with
 * readCifar10, this worker's shard, and augmentation (random crop with 4-pixel padding and
 * horizontal flip) as a mapBatches stage; batches come out as float32 NHWC in [0, 1].
 */

import { join } from 'node:path';
import { type Dataset, readCifar10 } from '@manta/data';
import seedrandom from 'seedrandom';
import { TEST_FILE, TRAIN_FILES } from './synthetic.ts';

export interface ImageBatch {
  /** NHWC float32 pixels in [0, 1]. */
  images: Float32Array;
  labels: Int32Array;
  size: number;
}

export function trainFiles(dataDir: string): string[] {
  return TRAIN_FILES.map((f) => join(dataDir, f));
}

export function testFile(dataDir: string): string {
  return join(dataDir, TEST_FILE);
}

/** Rank `rank` of `worldSize`'s part of a split (the same split on every worker). */
export async function shardOf(
  dataset: Dataset,
  rank: number,
  worldSize: number,
  limit?: number,
): Promise<Dataset> {
  const limited = limit ? dataset.limit(limit) : dataset;
  if (worldSize === 1) return limited.materialize();
  return (await limited.split(worldSize, { equal: true }))[rank];
}

export function cifar(paths: string | string[]): Dataset {
  return readCifar10(paths, { imageFormat: 'uint8' });
}

/** Random crop (pad 4, crop 32) and horizontal flip of HWC uint8 images, seeded. */
export function augment(images: Uint8Array, count: number, rng: () => number): Uint8Array {
  const out = new Uint8Array(images.length);
  for (let n = 0; n < count; n++) {
    const dx = Math.floor(rng() * 9) - 4;
    const dy = Math.floor(rng() * 9) - 4;
    const flip = rng() < 0.5;
    const base = n * 3072;
    for (let y = 0; y < 32; y++) {
      const sy = y + dy;
      for (let x = 0; x < 32; x++) {
        const sx = (flip ? 31 - x : x) + dx;
        const o = base + (y * 32 + x) * 3;
        if (sy < 0 || sy > 31 || sx < 0 || sx > 31) continue; // zero padding
        const i = base + (sy * 32 + sx) * 3;
        out[o] = images[i];
        out[o + 1] = images[i + 1];
        out[o + 2] = images[i + 2];
      }
    }
  }
  return out;
}

function imageData(column: unknown): Uint8Array {
  const value = column as { data?: Uint8Array } | Uint8Array;
  return value instanceof Uint8Array ? value : (value.data as Uint8Array);
}

/** One epoch of batches from a shard: optional augmentation in the pipeline, shuffled, scaled to [0, 1]. */
export async function* epochBatches(
  shard: Dataset,
  options: { batchSize: number; augment: boolean; seed: string; dropLast?: boolean },
): AsyncGenerator<ImageBatch> {
  const rng = seedrandom(options.seed);
  const pipeline = options.augment
    ? shard.mapBatches(
        (batch: Record<string, unknown>) => {
          const labels = batch.label as Int32Array;
          return {
            label: labels,
            image: {
              data: augment(imageData(batch.image), labels.length, rng),
              shape: [labels.length, 32, 32, 3],
            },
          };
        },
        { batchSize: 256 },
      )
    : shard;
  const batches = pipeline.iterBatches({
    batchSize: options.batchSize,
    dropLast: options.dropLast ?? false,
    localShuffleBufferSize: options.augment ? 1024 : 0,
    seed: options.seed,
  });
  for await (const batch of batches) {
    const labels = Int32Array.from(batch.label as ArrayLike<number>);
    const raw = imageData(batch.image);
    const images = new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) images[i] = raw[i] / 255;
    yield { images, labels, size: labels.length };
  }
}
