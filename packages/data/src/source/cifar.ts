import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { ColumnInput } from '../block/index.ts';
import type { RecordDecoder } from './binary.ts';
import { binaryRecordsSource, registerDecoder, withDecoderSpec } from './binary.ts';
import type { Datasource, FileReadOptions } from './types.ts';

/** CIFAR-10 binary record: 1 label byte, then 1024 red, 1024 green, 1024 blue bytes (32x32, row-major). */
export const CIFAR10_RECORD_BYTES = 3073;
export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

const schema = z
  .object({
    imageFormat: z.enum(['uint8', 'float32']).default('uint8'),
    blockRows: z.number().int().positive().optional(),
    extensions: z.array(z.string()).optional(),
    includePaths: z.union([z.boolean(), z.string()]).optional(),
  })
  .strict();

export type Cifar10Options = FileReadOptions & {
  /** `uint8` keeps raw pixels; `float32` scales them to [0, 1]. */
  readonly imageFormat?: 'uint8' | 'float32';
};

/** Decode CIFAR-10 records into `label` (int32) and `image` (HWC 32x32x3) columns. */
export function cifar10Decoder(imageFormat: 'uint8' | 'float32'): RecordDecoder {
  return withDecoderSpec(decodeCifar10(imageFormat), { kind: 'cifar10', imageFormat });
}

registerDecoder('cifar10', (spec) => cifar10Decoder(spec.imageFormat === 'float32' ? 'float32' : 'uint8'));

function decodeCifar10(imageFormat: 'uint8' | 'float32'): RecordDecoder {
  return (bytes, count) => {
    const label = new Int32Array(count);
    for (let r = 0; r < count; r++) label[r] = bytes[r * CIFAR10_RECORD_BYTES];
    // One monomorphic loop per output type: the CHW -> HWC transpose is the hot path of reading.
    const image = imageFormat === 'float32' ? planarToHwcFloat(bytes, count) : planarToHwcBytes(bytes, count);
    const columns: Record<string, ColumnInput> = { label, image: { data: image, shape: [count, 32, 32, 3] } };
    return columns;
  };
}

function planarToHwcFloat(bytes: Uint8Array, count: number): Float32Array {
  const image = new Float32Array(count * 3072);
  const scale = 1 / 255;
  for (let r = 0; r < count; r++) {
    const base = r * CIFAR10_RECORD_BYTES + 1;
    const out = r * 3072;
    for (let p = 0; p < 1024; p++) {
      const o = out + p * 3;
      image[o] = bytes[base + p] * scale;
      image[o + 1] = bytes[base + 1024 + p] * scale;
      image[o + 2] = bytes[base + 2048 + p] * scale;
    }
  }
  return image;
}

function planarToHwcBytes(bytes: Uint8Array, count: number): Uint8Array {
  const image = new Uint8Array(count * 3072);
  for (let r = 0; r < count; r++) {
    const base = r * CIFAR10_RECORD_BYTES + 1;
    const out = r * 3072;
    for (let p = 0; p < 1024; p++) {
      const o = out + p * 3;
      image[o] = bytes[base + p];
      image[o + 1] = bytes[base + 1024 + p];
      image[o + 2] = bytes[base + 2048 + p];
    }
  }
  return image;
}

export function cifar10Source(paths: string | readonly string[], options: Cifar10Options = {}): Datasource {
  const { imageFormat, ...rest } = parseConfig(schema, options, 'readCifar10 options');
  return binaryRecordsSource(paths, {
    ...rest,
    extensions: rest.extensions ?? ['.bin'],
    recordBytes: CIFAR10_RECORD_BYTES,
    decode: cifar10Decoder(imageFormat),
  });
}
