/**
 * A CIFAR-10-format data set with learnable class structure, for machines without the real
 * files: each class has its own colour cast and stripe orientation/frequency, with a random
 * phase and noise per image. Written in the real binary format (1 label byte + 1024 R, 1024 G,
 * 1024 B bytes per record) and read back through the same loader as the real data.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import seedrandom from 'seedrandom';

export const RECORD_BYTES = 3073;
export const TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const TEST_FILE = 'test_batch.bin';

export interface SyntheticOptions {
  train: number;
  test: number;
  seed?: string;
}

function record(rng: () => number, label: number): Uint8Array {
  const out = new Uint8Array(RECORD_BYTES);
  out[0] = label;
  const angle = (label * Math.PI) / 10;
  const frequency = 0.35 + 0.25 * (label % 3);
  const phase = rng() * Math.PI * 2;
  const tint = [Math.sin(label * 1.7), Math.sin(label * 2.9 + 1), Math.sin(label * 4.3 + 2)];
  for (let y = 0; y < 32; y++) {
    for (let x = 0; x < 32; x++) {
      const stripe = Math.sin(frequency * (x * Math.cos(angle) + y * Math.sin(angle)) + phase);
      for (let c = 0; c < 3; c++) {
        const noise = (rng() + rng() + rng() - 1.5) * 50;
        const value = 128 + 45 * tint[c] + 50 * stripe + noise;
        out[1 + c * 1024 + y * 32 + x] = Math.max(0, Math.min(255, Math.round(value)));
      }
    }
  }
  return out;
}

function writeBatch(path: string, count: number, rng: () => number): void {
  const bytes = new Uint8Array(count * RECORD_BYTES);
  for (let i = 0; i < count; i++) bytes.set(record(rng, i % 10), i * RECORD_BYTES);
  writeFileSync(path, bytes);
}

/** Writes data_batch_1..5.bin and test_batch.bin into `dir` (skipped when already there). */
export function ensureSyntheticCifar(dir: string, options: SyntheticOptions): string {
  const marker = join(dir, `synthetic-${options.train}-${options.test}.done`);
  if (existsSync(marker)) return dir;
  mkdirSync(dir, { recursive: true });
  const rng = seedrandom(options.seed ?? 'manta-cifar');
  const perFile = Math.ceil(options.train / TRAIN_FILES.length);
  for (const [i, file] of TRAIN_FILES.entries()) {
    writeBatch(join(dir, file), Math.min(perFile, options.train - i * perFile), rng);
  }
  writeBatch(join(dir, TEST_FILE), options.test, rng);
  writeFileSync(marker, new Date().toISOString());
  return dir;
}

/** True when `dir` holds the real (or generated) CIFAR-10 binary files. */
export function hasCifarFiles(dir: string): boolean {
  return [...TRAIN_FILES, TEST_FILE].every((f) => existsSync(join(dir, f)));
}
