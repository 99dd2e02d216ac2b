import { parseConfig } from '@manta/core/internal';
import { z } from 'zod';
import type { Block, ColumnInput } from '../block/index.ts';
import { blockFromColumns } from '../block/index.ts';
import { DataReadError } from '../errors/index.ts';
import { fileSystemFor } from '../fs/index.ts';
import { fileSource, withPath } from './files.ts';
import { registerRemoteReader } from './remote_readers.ts';
import type { Datasource, FileReadOptions, ReadTask } from './types.ts';

/**
 * Turns `count` consecutive records (`bytes`, `count * recordBytes` long) into columns. Pure: a
 * worker can run it on the bytes it read. The default gives one uint8 tensor column `bytes`.
 */
export type RecordDecoder = (
  bytes: Uint8Array,
  count: number,
  recordBytes: number,
) => Readonly<Record<string, ColumnInput>>;

const schema = z
  .object({
    recordBytes: z.number().int().positive(),
    headerBytes: z.number().int().nonnegative().default(0),
    blockRows: z.number().int().positive().optional(),
    extensions: z.array(z.string()).optional(),
    includePaths: z.union([z.boolean(), z.string()]).optional(),
    decode: z.custom<RecordDecoder>((v) => typeof v === 'function', 'expected a function').optional(),
  })
  .strict();

export type BinaryRecordsOptions = FileReadOptions & {
  /** Size of one record in bytes. */
  readonly recordBytes: number;
  /** Bytes to skip at the start of each file. */
  readonly headerBytes?: number;
  readonly decode?: RecordDecoder;
};

const rawBytes: RecordDecoder = (bytes, count, recordBytes) => ({
  bytes: { data: bytes, shape: [count, recordBytes] },
});

/**
 * Built-in decoders carry a plain-data recipe so a worker can rebuild them (user functions
 * cannot cross processes: files with a custom decoder are read in the driver).
 */
export interface DecoderSpec {
  readonly kind: string;
  readonly [option: string]: unknown;
}
const DECODER_SPEC = Symbol('manta.decoderSpec');
const decoderKinds = new Map<string, (spec: DecoderSpec) => RecordDecoder>([['raw', () => rawBytes]]);

/** Name a decoder factory so decoders it makes (tagged with `withDecoderSpec`) can be rebuilt remotely. */
export function registerDecoder(kind: string, make: (spec: DecoderSpec) => RecordDecoder): void {
  decoderKinds.set(kind, make);
}

export function withDecoderSpec(decoder: RecordDecoder, spec: DecoderSpec): RecordDecoder {
  return Object.assign(decoder, { [DECODER_SPEC]: spec });
}

function decoderSpecOf(decode: RecordDecoder | undefined): DecoderSpec | undefined {
  if (!decode) return { kind: 'raw' };
  return (decode as { [DECODER_SPEC]?: DecoderSpec })[DECODER_SPEC];
}

/** One block of records: where in which file, and how to decode it. Plain data. */
interface RecordsRead {
  readonly path: string;
  /** Byte offset of the first record, and its index in the file (for error rows). */
  readonly from: number;
  readonly start: number;
  readonly count: number;
  readonly recordBytes: number;
  readonly includePaths?: boolean | string;
}

async function* readRecords(read: RecordsRead, decode: RecordDecoder): AsyncGenerator<Block> {
  const { path, from, start, count, recordBytes } = read;
  const bytes = await fileSystemFor(path).readRange(path, from, from + count * recordBytes);
  if (bytes.length !== count * recordBytes) {
    throw new DataReadError(
      path,
      `short read: got ${bytes.length} of ${count * recordBytes} bytes`,
      start + Math.floor(bytes.length / recordBytes) + 1,
    );
  }
  yield withPath(blockFromColumns(decode(bytes, count, recordBytes)), path, read.includePaths);
}

registerRemoteReader('binaryRecords', (args: RecordsRead & { decoder: DecoderSpec }) => {
  const make = decoderKinds.get(args.decoder.kind);
  if (!make) throw new DataReadError(args.path, `unknown record decoder "${args.decoder.kind}"`);
  return readRecords(args, make(args.decoder));
});

/** Fixed-size binary records; each file is split into blocks read lazily with ranged reads. */
export function binaryRecordsSource(
  paths: string | readonly string[],
  options: BinaryRecordsOptions,
): Datasource {
  const opts = parseConfig(schema, options, 'readBinaryRecords options');
  // Default: ~1.5 MiB of records per block (512 CIFAR images). Decoders widen them (4x to
  // float32), and blocks that stay cache-sized decode markedly faster than 16 MiB ones.
  const blockRows = opts.blockRows ?? Math.max(1, Math.floor((1536 << 10) / opts.recordBytes));
  const decode = opts.decode ?? rawBytes;
  return fileSource('readBinaryRecords', paths, opts.extensions, (file) => {
    const body = file.size - opts.headerBytes;
    if (body < 0 || body % opts.recordBytes !== 0) {
      throw new DataReadError(
        file.path,
        `size ${file.size} bytes is not ${opts.headerBytes ? `${opts.headerBytes} header bytes plus ` : ''}a whole number of ${opts.recordBytes}-byte records (a truncated or wrong file)`,
        Math.floor(Math.max(0, body) / opts.recordBytes) + 1,
      );
    }
    const records = body / opts.recordBytes;
    const tasks: ReadTask[] = [];
    for (let start = 0; start < records; start += blockRows) {
      const count = Math.min(blockRows, records - start);
      const from = opts.headerBytes + start * opts.recordBytes;
      const read: RecordsRead = {
        path: file.path,
        from,
        start,
        count,
        recordBytes: opts.recordBytes,
        includePaths: opts.includePaths,
      };
      const decoder = decoderSpecOf(opts.decode);
      tasks.push({
        name: `readBinaryRecords:${file.path}[${start}:${start + count}]`,
        estimatedRows: count,
        estimatedBytes: count * opts.recordBytes,
        estimatedBlocks: 1,
        read: () => readRecords(read, decode),
        remote: decoder && { reader: 'binaryRecords', args: { ...read, decoder } },
      });
    }
    return tasks;
  });
}
